"""`medlb demo`: real packaged models on a fixed sample of the real benchmarks, then the dashboard.

The sample is pipeline.benchmarks.demo_sample (documented in pipeline/benchmarks/data/DEMO_SAMPLE.md).
A second demo finds every run complete and goes straight to the dashboard.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from pipeline import benchmarks
from pipeline.dashboard_server import serve_dashboard
from pipeline.run import EvalConfig, evaluate, format_summary
from warehouse import progress
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


def run_demo(
    per_task: int = 25, full: bool = False, serve: bool = True, port: int = 8501, warehouse: str | None = None
) -> int:
    path = Path(warehouse) if warehouse else DEFAULT_WAREHOUSE
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
    print(f"demo: warehouse ready in {time.monotonic() - started:.0f}s: {path}", flush=True)
    if not serve:
        return 0
    return serve_dashboard(path, port)
