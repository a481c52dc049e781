"""`medlb demo`: real packaged models on a fixed sample of the real benchmarks, then the dashboard.

The sample is pipeline.benchmarks.demo_sample (documented in pipeline/benchmarks/data/DEMO_SAMPLE.md).
A second demo finds every run complete and goes straight to the dashboard.

It also leaves the leaderboard's request queue (warehouse/queue.py) showing both ends of a request's
life, with no extra evaluation: one request done, recorded against the demo's own SmolLM2 run, and one
real submission pending, for `medlb worker --once` to process.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import benchmarks, models, submissions
from pipeline.dashboard_server import serve_dashboard
from pipeline.run import EvalConfig, backend_options, evaluate, format_summary
from warehouse import progress, queries, queue
from warehouse.db import read_connection

DEFAULT_WAREHOUSE = Path("demo") / "medlb-demo.duckdb"
DEMO_TASKS = benchmarks.OMLL_TASKS + ("frenchmedmcqa", "headqa_es")


@dataclass(frozen=True)
class DemoModel:
    alias: str  # a packaged model (pipeline/models.py)
    variant: str = ""
    label: str = ""


DEMO_MODELS = (
    DemoModel("smollm2-135m-instruct", "", "GGUF Q4_1 as published"),
    DemoModel("smollm2-135m-instruct", "int8-dynamic", "GGUF Q4_1, then torch int8 dynamic quantization"),
    DemoModel("gemma-3-270m", "", "GGUF Q4_K_M as published"),
)
FULL_EXTRA_MODELS = (DemoModel("qwen2.5-coder-1.5b-instruct", "", "GGUF Q4_K_M as published"),)
QUEUE_NAME = "medlb-queue.sqlite"  # next to the demo's warehouse unless MEDLB_QUEUE says otherwise
# The pending request: SmolLM2-135M-Instruct from the hub, pinned to a commit (so submitting needs no network).
# The commit is one of the hub repo's real ones (public code downloads model.safetensors at /resolve/<it>/).
PENDING_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
PENDING_COMMIT = "5a33ba103645800d7b3790c4448546c1b73efc71"
PENDING_TASKS = "pubmedqa"
# K-QA (open-ended answers): SmolLM2 answers a fixed sample, and SmolLM2 judges it (log-likelihood mode), after
# a check on the first physician-labelled pairs so the judge's agreement stands next to its scores.
KQA_QUESTIONS = 5  # demo_sample("kqa", min(5, per_task)): the rule of DEMO_SAMPLE.md
KQA_MAX_NEW_TOKENS = 128  # longer answers are cut (finish reason "length") and judged as written
KQA_CHECK_PAIRS = 8  # of the 399 (one answer's statements); `medlb judge-check` without --limit runs them all
KQA_MODEL = "smollm2-135m-instruct"


def sample_ids(per_task: int | None) -> tuple[str, ...]:
    ids = []
    for task in DEMO_TASKS:
        questions = benchmarks.load_questions(task) if per_task is None else benchmarks.demo_sample(task, per_task)
        ids.extend(q.id for q in questions)
    return tuple(ids)


def already_done(path: Path, model: DemoModel, question_ids: tuple[str, ...]) -> bool:
    """True when a complete run of this alias+variant already holds every sampled question (no model load)."""
    if not path.exists():
        return False
    with read_connection(path) as con:
        answered = progress.complete_questions(con, model.alias, model.variant, question_ids)
    return answered == len(question_ids)


def demo_run(path: Path, model: DemoModel) -> tuple[str, str]:
    """(run id, model revision) of the newest complete zero-shot run of a demo model."""
    packaged = models.PACKAGED[model.alias]
    with read_connection(path) as con:
        runs = queries.runs(con)
    [run_id, *_] = runs.filter(
        (runs["model_id"] == packaged.upstream)
        & (runs["label"] == model.label)
        & (runs["status"] == "complete")
        & (runs["num_fewshot"] == 0)
        & (runs["scoring_mode"] != "generation")  # its multiple-choice run, not its K-QA answers
    )["run_id"].to_list()
    return run_id, f"sha256:{packaged.sha256}"  # the packaged weights' hash is the version's revision


def record_done(store: Path, path: Path, model: DemoModel, tasks: list[str]) -> str:
    """A request for the demo's run of `model`, marked done with that run's id through the queue's own
    claim and finish, so the dashboard shows a done request linked to an entry without a second run."""
    run_id, revision = demo_run(path, model)
    notes = f"recorded by medlb demo: its run of the packaged {model.label} copy on the demo's sample"
    request = queue.NewRequest(
        models.PACKAGED[model.alias].upstream, revision, "float32", "instruction-tuned", tuple(tasks), notes
    )
    request_id, existing = queue.submit(request, store)
    if existing is None:
        claim = queue.claim(request_id, "medlb demo", store)
        queue.finish(claim, "done", run_id=run_id, path=store)
    return f"request {request_id} done (run {run_id})"


def submit_pending(store: Path) -> str:
    """A real submission, validated as the Submit page validates it, left for a worker."""
    request = submissions.validate(
        PENDING_MODEL, PENDING_COMMIT, "float32", "instruction-tuned", PENDING_TASKS, "submitted by medlb demo"
    )
    request_id, existing = queue.submit(request, store)
    return f"request {request_id} {existing or 'pending'} ({PENDING_MODEL} on {PENDING_TASKS})"


def fill_queue(store: Path, path: Path, tasks: list[str]) -> str:
    done = record_done(store, path, DEMO_MODELS[0], tasks)
    pending = submit_pending(store)
    return (
        f"demo: request queue {store}: {done}; {pending}.\n"
        f"demo: process the pending one (downloads {PENDING_MODEL} from the hub): "
        f"MEDLB_QUEUE={store} medlb worker --once --warehouse {path}"
    )


def kqa_expected(question_ids: tuple[str, ...]) -> int:
    """Verdicts a judge gives on the sample: two relations per gold statement (criteria leave out empty ones)."""
    return 2 * sum(len(item.criteria) for item in benchmarks.open_questions("kqa") if item.id in set(question_ids))


def demo_open_answers(path: Path, questions: int = KQA_QUESTIONS) -> str:
    """SmolLM2's answers to the K-QA sample, judged statement by statement and the judge checked; skipped
    (no model loaded) when an earlier demo did all three."""
    from pipeline.backends import create_backend
    from pipeline.generation import Sampling, generate_answers
    from pipeline.judging.check import judge_check
    from pipeline.judging.judge import Judge, judge_run
    from pipeline.judging.report import format_scores

    ids = tuple(q.id for q in benchmarks.demo_sample("kqa", questions))
    upstream = models.PACKAGED[KQA_MODEL].upstream
    if path.exists():
        with read_connection(path) as con:
            answered, judged, checked = progress.open_demo_done(con, KQA_MODEL, upstream, ids)
        if answered == len(ids) and judged >= kqa_expected(ids) and checked >= KQA_CHECK_PAIRS:
            return f"demo: K-QA: {answered} answers, judged and checked: already in the warehouse"
    config = EvalConfig(model=KQA_MODEL, tasks=["kqa"], warehouse=str(path), question_ids=ids,
                        label=DEMO_MODELS[0].label)  # fmt: skip
    backend = create_backend(config.backend, **backend_options(config))  # one load: it answers, then judges
    try:
        answers = generate_answers(config, Sampling(KQA_MAX_NEW_TOKENS), backend)
        judge = Judge(backend, "loglikelihood")
        judge_run(path, judge, answers.run_id)
        judge_check(path, judge, KQA_CHECK_PAIRS)
    finally:
        backend.close()
    return f"demo: K-QA, {len(ids)} questions:\n{format_scores(path, judge.judge_id, answers.run_id)}"


def run_demo(
    per_task: int = 25,
    full: bool = False,
    serve: bool = True,
    port: int = 8501,
    warehouse: str | None = None,
    queue_file: str | None = None,
) -> int:
    path = Path(warehouse) if warehouse else DEFAULT_WAREHOUSE
    store = Path(queue_file or os.environ.get(queue.ENV_VAR) or path.parent / QUEUE_NAME)
    models = DEMO_MODELS + (FULL_EXTRA_MODELS if full else ())
    question_ids = sample_ids(None if full else per_task)
    tasks = list(benchmarks.OMLL_TASKS) if full else list(DEMO_TASKS)
    if full:
        question_ids = tuple(i for i in question_ids if i.split("/")[0] in tasks)
    print(f"demo: {len(models)} model versions x {len(question_ids)} questions -> {path}", flush=True)
    started = time.monotonic()
    for model in models:
        if already_done(path, model, question_ids):
            print(f"demo: {model.alias} {model.variant or '(as published)'}: already in the warehouse", flush=True)
            continue
        print(f"demo: evaluating {model.alias} {model.variant or '(as published)'}", flush=True)
        config = EvalConfig(
            model=model.alias,
            tasks=tasks,
            warehouse=str(path),
            question_ids=question_ids,
            variant=model.variant,
            label=model.label,
        )
        print(format_summary(evaluate(config)), flush=True)
    from pipeline.judging.physicians import import_physicians  # K-QA's physician-judged answers: seconds

    print(f"demo: {import_physicians(path).summary()}", flush=True)
    print(demo_open_answers(path, min(KQA_QUESTIONS, per_task)), flush=True)
    print(fill_queue(store, path, tasks), flush=True)
    print(f"demo: warehouse ready in {time.monotonic() - started:.0f}s: {path}", flush=True)
    if not serve:
        return 0
    os.environ[queue.ENV_VAR] = str(store.resolve())  # the dashboard's Submit page shows this queue
    return serve_dashboard(path, port)
