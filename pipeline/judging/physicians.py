"""`medlb import kqa-physicians`: K-QA's physician-labelled commercial answers as open-ended entries.

The judge set holds the real answers of GPT-4, GPT-3.5, Bard and K Health's system to 50 K-QA questions, each
(answer, statement) pair labelled by three physicians. Each model becomes a model version (source "imported",
revision "k-qa@<commit>"), its answers a generation run (provenance "imported"), and the physicians' majority
label the verdicts of the judge "physicians (K-QA)": entails is true for Entailment, contradicts is true for
Contradiction. Only the pairs the physicians labelled are judged, so these entries' comprehensiveness is over
the labelled Must_have statements of each answer, not all of them; pairs whose question or statement text does
not match the task's are left out and counted: 14 of 399 (8 questions not among the 201 by exact text, 6
statements matching none or two of its statements after stripping spaces).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from pipeline.benchmarks import kqa
from pipeline.generation import statement_rows
from pipeline.judging.judge_set import matched_pairs  # the one mapping rule, shared with the dashboard
from pipeline.run import package_versions
from warehouse import judged, writer
from warehouse.db import execute_write, warehouse_path
from warehouse.records import ModelInfo, RunSpec, sha256_text

SOURCE_REVISION = "k-qa@ef403d012e199fcfa0d8c02b38a96ff95164f4d0"
JUDGE_ID = "physicians-kqa"
JUDGE_MODEL = "physicians (K-QA)"


@dataclass
class PhysiciansImport:
    models: int
    answers: int
    judgments_added: int
    pairs_unmatched: int

    def summary(self) -> str:
        return (
            f"imported {self.answers} physician-judged answers of {self.models} models, {self.judgments_added} new "
            f"verdicts; {self.pairs_unmatched} labelled pairs not matched to a K-QA statement (left out)"
        )


def import_physicians(warehouse=None) -> PhysiciansImport:
    found, missed = matched_pairs()
    models = sorted({pair.answer_model for _, _, pair in found})

    def write(con) -> tuple[int, int]:
        items = {item.id: item for item, _, _ in found}
        writer.register_tasks(con, [(_task_info(), len(kqa.load_open()))])
        writer.register_questions(con, [item.question for item in items.values()])
        judged.register_statements(con, statement_rows(list(items.values())))
        judged.register_judge(con, _judge_identity())
        answers = added = 0
        for model in models:
            run_id, rows, verdicts = _entry(con, model, [(i, c, p) for i, c, p in found if p.answer_model == model])
            answers += judged.write_generations(con, run_id, rows)
            added += judged.write_judgments(con, JUDGE_ID, run_id, verdicts)
            writer.finish_run(con, run_id, "complete", None)
        return answers, added

    answers, added = execute_write(write, warehouse_path(warehouse))
    return PhysiciansImport(len(models), answers, added, missed)


def _entry(con, model: str, found) -> tuple[str, list[dict], list[dict]]:
    name = kqa.JUDGE_SET_MODELS[model]
    info = ModelInfo(
        name=name, revision=SOURCE_REVISION, label="K-QA answers", source="imported", model_type="commercial"
    )
    version_id = writer.register_model_version(con, info)
    run_id = sha256_text(json.dumps(["kqa-physicians", version_id]))[:16]
    writer.start_run(con, _spec(run_id, version_id))
    answers = {item.id: pair.answer for item, _, pair in found}
    rows = [_generation(run_id, question_id, answer) for question_id, answer in sorted(answers.items())]
    verdicts = [
        _verdict(run_id, item.id, criterion.id, relation, pair.majority)
        for item, criterion, pair in found
        for relation in ("entails", "contradicts")
    ]
    return run_id, rows, verdicts


def _verdict(run_id: str, question_id: str, statement_id: str, relation: str, majority: str) -> dict:
    positive = {"entails": "Entailment", "contradicts": "Contradiction"}[relation]
    return {
        "judge_id": JUDGE_ID,
        "run_id": run_id,
        "question_id": question_id,
        "statement_id": statement_id,
        "relation": relation,
        "verdict": "true" if majority == positive else "false",
        "probability": None,
        "rationale": f"physicians' majority label: {majority}",
        "prompt_hash": "physicians",
        "latency_ms": None,
    }


def _generation(run_id: str, question_id: str, answer: str) -> dict:
    return {
        "run_id": run_id,
        "question_id": question_id,
        "task": kqa.NAME,
        "messages": "[]",  # not known: the answers come from the K-QA authors' runs
        "prompt": None,
        "prompt_hash": "imported",
        "sampling": json.dumps({"source": "K-QA NLI_medical_annotator.csv"}),
        "output": answer,
        "status": "ok",
        "finish_reason": None,
        "input_tokens": None,
        "output_tokens": None,
        "latency_ms": None,
        "cost_usd": None,
    }


def _spec(run_id: str, version_id: str) -> RunSpec:
    return RunSpec(
        run_id=run_id,
        version_id=version_id,
        backend="k-qa",
        scoring_mode="generation",
        provenance="imported",
        num_fewshot=0,
        dtype=None,
        device=None,
        prompt_version="k-qa-authors",
        prompt_hash="imported",
        settings={"source": f"pipeline/benchmarks/data/{kqa.JUDGE_SET_FILE}", "revision": SOURCE_REVISION},
        packages=package_versions(),
        tasks=(kqa.NAME,),
    )


def _judge_identity() -> dict:
    return {
        "judge_id": JUDGE_ID,
        "version_id": "physicians",
        "model_id": JUDGE_MODEL,
        "revision": SOURCE_REVISION,
        "mode": "physicians",
        "prompt_hash": "physicians",
        "settings": {"rule": "majority of three physicians"},
    }


def _task_info():
    from pipeline import benchmarks

    return benchmarks.task_info(kqa.NAME)
