"""A stand-in for `medlb eval` writing into a warehouse the dashboard is reading (test helper).

    python -m tests.dashboard.stream_writer WAREHOUSE MARKER_DIR

Writes one new model version's answers to every OMLL question of the fixture, one question per batch,
each batch in its own short write transaction like pipeline.run does. After the first batch it creates
MARKER_DIR/started and waits for MARKER_DIR/reader-ready, so the reader is known to be reading while the
remaining batches go in; then it writes them back to back and exits.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from tests.fixtures.builder import Rows, Run, build_warehouse
from tests.fixtures.warehouse import OMLL_TASKS, PROMPT_HASH, task_questions
from warehouse import writer
from warehouse.db import execute_write
from warehouse.records import ModelInfo, Prediction, Question, RunSpec, version_id_for

MODEL = "stream/model"
RUN_ID = "run-stream"
VERSION_ID = version_id_for(MODEL, "rev-stream", "")
WAIT_FOR_READER_SECONDS = 120


def spec() -> RunSpec:
    return RunSpec(
        run_id=RUN_ID,
        version_id=VERSION_ID,
        backend="transformers",
        scoring_mode="loglikelihood",
        provenance="evaluated",
        num_fewshot=0,
        dtype="float32",
        device="cpu",
        prompt_version="1",
        prompt_hash=PROMPT_HASH,
        settings={},
        packages={},
        tasks=OMLL_TASKS,
    )


def answer(question: Question) -> Prediction:
    return Prediction(
        run_id=RUN_ID,
        question_id=question.id,
        task=question.task,
        pred=question.golds[0],
        golds=question.golds,
        correct=True,
        loglikelihoods=None,
        probs=None,
        prompt_hash=PROMPT_HASH,
    )


def main(path: str, markers: str) -> None:
    questions = [q for task in OMLL_TASKS for q in task_questions(task)]
    model = ModelInfo(name=MODEL, revision="rev-stream", label="stream")
    build_warehouse(path, Rows(models=[model], runs=[Run(spec(), [], status=None)]))
    for i, question in enumerate(questions):
        # one short transaction per batch, as pipeline.run writes
        execute_write(lambda con, q=question: writer.write_predictions(con, [answer(q)]), path)
        if i == 0:
            Path(markers, "started").touch()
            deadline = time.monotonic() + WAIT_FOR_READER_SECONDS
            while not Path(markers, "reader-ready").exists():
                if time.monotonic() > deadline:
                    sys.exit("the reader never started")
                time.sleep(0.01)
    execute_write(lambda con: writer.finish_run(con, RUN_ID, "complete", 1.0), path)


if __name__ == "__main__":
    main(*sys.argv[1:3])
