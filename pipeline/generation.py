"""One generation run on an open-ended task (K-QA): plan what is missing -> generate in batches -> write each.

As with multiple-choice runs (pipeline/run.py), the run id is a hash of what determines the answers (model
version, backend, sampling settings, prompt version, dtype), so the same command resumes the same run and
generates only the questions with no answer yet, or whose answer failed. Each batch is written in its own
short transaction: a killed run loses at most the batch in flight, and a rerun adds nothing.

The model is asked the patient's question as written, as the only user message (GENERATION_PROMPT_VERSION);
the backend frames it (chat template, or pipeline.backends.hf_generation's plain prompt).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm import tqdm

from pipeline import benchmarks
from pipeline.backends import Backend, create_backend
from pipeline.backends.base import DEFAULT_MAX_NEW_TOKENS, Generation, GenerationRequest
from pipeline.run import EvalConfig, backend_options, in_shard, package_versions
from warehouse import judged, writer
from warehouse.db import execute_write, warehouse_path
from warehouse.records import RunSpec, sha256_text

GENERATION_PROMPT_VERSION = "question-as-user-message/v1"


@dataclass(frozen=True)
class Sampling:
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS
    temperature: float = 0.0
    seed: int = 0


@dataclass
class GenerationResult:
    run_id: str
    version_id: str
    n_planned: int
    n_generated: int
    n_skipped: int  # already answered by an earlier invocation of the same run
    n_failed: int
    seconds: float


def messages_for(question) -> tuple[tuple[str, str], ...]:
    return (("user", question.text),)


def select_open(config: EvalConfig) -> dict[str, list]:
    """Every open task's items, loaded (and validated) before anything is written."""
    wanted = set(config.question_ids) if config.question_ids is not None else None
    selected = {}
    for task in config.tasks:
        items = benchmarks.open_questions(task)
        if wanted is not None:
            items = [i for i in items if i.id in wanted]
        if config.limit is not None:
            items = items[: config.limit]
        selected[task] = [i for i in items if in_shard(i.id, config.shard)]
    return selected


def generation_spec(config: EvalConfig, backend: Backend, version_id: str, sampling: Sampling) -> RunSpec:
    identity = {
        "version_id": version_id,
        "backend": config.backend,
        "scoring_mode": "generation",
        "prompt_version": GENERATION_PROMPT_VERSION,
        "sampling": vars(sampling),
        "dtype": backend.info.dtype,
        "backend_settings": dict(sorted(getattr(backend, "identity_settings", {}).items())),
    }
    settings = {**identity, "batch_size": config.batch_size, "model_arg": config.model, "gguf_file": config.gguf_file}
    return RunSpec(
        run_id=sha256_text(json.dumps(identity, sort_keys=True, default=str))[:16],
        version_id=version_id,
        backend=config.backend,
        scoring_mode="generation",
        provenance="evaluated",
        num_fewshot=0,
        dtype=backend.info.dtype,
        device=backend.info.device,
        prompt_version=GENERATION_PROMPT_VERSION,
        prompt_hash=sha256_text(GENERATION_PROMPT_VERSION)[:16],
        settings=settings,
        packages=package_versions(),
        tasks=tuple(config.tasks),
    )


def statement_rows(items: Sequence) -> list[dict]:
    return [
        {
            "statement_id": c.id,
            "question_id": c.question_id,
            "task": item.question.task,
            "kind": c.kind,
            "position": c.position,
            "text": c.text,
            "weight": c.weight,
        }
        for item in items
        for c in item.criteria
    ]


def open_generation_run(path, config: EvalConfig, backend: Backend, items: Sequence, sampling: Sampling):
    """Register model, task, questions, statements and the run in one transaction; returns (spec, items to do)."""

    def write(con):
        version_id = writer.register_model_version(con, backend.info)
        spec = generation_spec(config, backend, version_id, sampling)
        writer.register_tasks(con, [(benchmarks.task_info(t), len(benchmarks.open_questions(t))) for t in config.tasks])
        writer.register_questions(con, [item.question for item in items])
        judged.register_statements(con, statement_rows(items))
        writer.start_run(con, spec)
        done = judged.generated(con, spec.run_id)
        return spec, [item for item in items if item.id not in done]

    return execute_write(write, path)


def generation_row(run_id: str, item, request: GenerationRequest, answer: Generation) -> dict:
    return {
        "run_id": run_id,
        "question_id": item.id,
        "task": item.question.task,
        "messages": request.messages_json,
        "prompt": answer.prompt,
        "prompt_hash": sha256_text(request.messages_json)[:16],
        "sampling": json.dumps({**request.sampling, **answer.settings}, sort_keys=True),
        "output": answer.text,
        "status": answer.status,
        "finish_reason": answer.finish_reason if answer.status == "ok" else None,
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "latency_ms": answer.latency_ms,
        "cost_usd": answer.cost_usd,
    }


def requests_for(items: Sequence, sampling: Sampling) -> list[GenerationRequest]:
    return [
        GenerationRequest(
            item.id, messages_for(item.question), sampling.max_new_tokens, sampling.temperature, sampling.seed
        )
        for item in items
    ]


def generate_batch(backend: Backend, run_id: str, items: Sequence, sampling: Sampling) -> list[dict]:
    requests = requests_for(items, sampling)
    answers = backend.generate(requests)
    if len(answers) != len(requests):
        raise RuntimeError(f"backend returned {len(answers)} answers for {len(requests)} requests")
    return [generation_row(run_id, i, r, a) for i, r, a in zip(items, requests, answers)]


def write_answers(path, run_id: str, rows: Sequence[dict]) -> int:
    """One batch of answers in its own short transaction; returns how many of them failed."""
    execute_write(lambda con: judged.write_generations(con, run_id, rows), path)
    return sum(r["status"] == "failed" for r in rows)


def generate_answers(
    config: EvalConfig,
    sampling: Sampling = Sampling(),
    backend: Backend | None = None,
    progress_bar: bool = True,
    generate_all: Callable | None = None,
) -> GenerationResult:
    """Plan, generate, write. `generate_all` replaces the in-process loop (pipeline.distributed's Ray pool
    passes its own); it takes _generate_all's arguments and returns the number of failed answers."""
    started = time.monotonic()
    path = warehouse_path(config.warehouse)
    items = [item for items in select_open(config).values() for item in items]
    own_backend = backend is None
    backend = backend or create_backend(config.backend, **backend_options(config))
    try:
        spec, todo = open_generation_run(path, config, backend, items, sampling)
        n_failed = (generate_all or _generate_all)(
            backend, path, spec.run_id, todo, sampling, config.batch_size, progress_bar
        )
        elapsed = time.monotonic() - started
        execute_write(lambda con: writer.finish_run(con, spec.run_id, _status(con, spec.run_id), elapsed), path)
    finally:
        if own_backend:
            backend.close()
    n_skipped = len(items) - len(todo)
    return GenerationResult(spec.run_id, spec.version_id, len(items), len(todo), n_skipped, n_failed, elapsed)


def _generate_all(backend, path, run_id: str, todo: Sequence, sampling: Sampling, batch_size: int, progress: bool):
    """Generate and write `todo` in batches of batch_size, in plan order; returns how many failed."""
    n_failed = 0
    bar = tqdm(total=len(todo), unit="answer", desc="generating", disable=not progress or not todo)
    for start in range(0, len(todo), batch_size):
        rows = generate_batch(backend, run_id, todo[start : start + batch_size], sampling)
        n_failed += write_answers(path, run_id, rows)
        bar.update(len(rows))
    bar.close()
    return n_failed


def _status(con, run_id: str) -> str:
    """Complete when no failed answer is left to retry, else failed (a rerun retries those)."""
    return "complete" if judged.failed_generations(con, run_id) == 0 else "failed"
