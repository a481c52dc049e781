"""One evaluation run: plan what is missing -> score in batches -> write each batch.

Resume falls out of the plan: a run's id is a hash of what determines its numbers (model version,
backend, scoring mode, shots, prompt version, dtype), so rerunning the same command finds the same
run and scores only the (question, variant) pairs that have no prediction yet, or whose prediction
failed. Each batch is written in its own short transaction, so a killed run loses at most the batch
in flight and the dashboard can read between batches.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata

import polars as pl
from tqdm import tqdm

from pipeline import benchmarks, prompts
from pipeline.analysis import multilabel
from pipeline.backends import Backend, create_backend
from pipeline.backends.base import Request, Scores
from pipeline.metrics import Accuracy, accuracy, leaderboard_average, scored_correct, softmax, weighted_mean
from warehouse import progress, writer
from warehouse.db import execute_write, read_connection, warehouse_path
from warehouse.errors import MedlbError
from warehouse.records import Prediction, Question, RunSpec, first_argmax, sha256_text

PACKAGES = ("medlb", "torch", "transformers", "gguf", "accelerate", "duckdb", "polars", "numpy", "huggingface-hub")


class TooFewShots(MedlbError, ValueError):
    """--shots asks for more examples than the task's few-shot split has."""


class OpenEndedTask(MedlbError, ValueError):
    """evaluate() scores multiple-choice tasks; an open-ended one (kqa) is answered by pipeline.generation."""


@dataclass
class EvalConfig:
    model: str
    tasks: list[str]
    backend: str = "transformers"
    warehouse: str | None = None
    revision: str | None = None
    gguf_file: str | None = None
    limit: int | None = None  # first N questions per task, in file order
    shard: tuple[int, int] | None = None  # (i, n), 1 <= i <= n: this machine's share of the questions
    question_ids: tuple[str, ...] | None = None  # an explicit subset (the demo sample)
    num_fewshot: int = 0
    batch_size: int = 16
    dtype: str = "float32"
    device: str = "cpu"
    variant: str = ""
    label: str = ""
    source: str = "local"
    perturbations: tuple[str, ...] = ()  # e.g. ("perm:3", "bias")
    backend_options: dict = field(default_factory=dict)


@dataclass
class EvalResult:
    run_id: str
    version_id: str
    n_planned: int
    n_scored: int
    n_skipped: int  # already recorded by an earlier invocation of the same run
    n_failed: int
    seconds: float
    tasks: dict[str, Accuracy]
    average: float | None  # unweighted mean of the nine, only when all nine are present
    weighted: float | None
    # a multi-answer task's own metrics (FrenchMedMCQA reports exact match ratio and Hamming score)
    set_scores: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    """One unit of work: a question (possibly perturbed) under a variant name ('' = as published)."""

    question: Question
    variant: str = ""


# ---------------------------------------------------------------- planning


def in_shard(question_id: str, shard: tuple[int, int] | None) -> bool:
    """A deterministic 1/n of the questions, the same on every machine."""
    if shard is None:
        return True
    index, count = shard
    return int(hashlib.sha256(question_id.encode()).hexdigest()[:12], 16) % count == index - 1


def select_questions(config: EvalConfig) -> dict[str, list[Question]]:
    """Load every task first, so a malformed file stops the run before anything is written."""
    wanted = set(config.question_ids) if config.question_ids is not None else None
    open_tasks = [task for task in config.tasks if benchmarks.get_task(task).open_ended]
    if open_tasks:
        raise OpenEndedTask(
            f"{', '.join(open_tasks)} is open-ended: pipeline.generation.generate_answers(config) writes its answers "
            "and pipeline.judging.judge.judge_run judges them (`medlb eval --tasks kqa --judge J` does both); "
            "run.evaluate scores multiple-choice tasks only"
        )
    selected = {}
    for task in config.tasks:
        questions = benchmarks.load_questions(task, source=config.source)
        if wanted is not None:
            questions = [q for q in questions if q.id in wanted]
        if config.limit is not None:
            questions = questions[: config.limit]
        selected[task] = [q for q in questions if in_shard(q.id, config.shard)]
    return selected


def expand_items(questions: Iterable[Question], perturbations: Sequence[str]) -> list[Item]:
    items = []
    for question in questions:
        items.append(Item(question))
        if perturbations:
            from pipeline.analysis.variants import (
                expand,  # only robustness/bias runs need it
            )

            items.extend(Item(variant_question, name) for name, variant_question in expand(question, perturbations))
    return items


def shots_for(task: str, num_fewshot: int) -> tuple[Question, ...]:
    """lm-eval's first_n sampler: the first K examples of the task's few-shot split."""
    if num_fewshot <= 0:
        return ()
    pool = benchmarks.fewshot_pool(task)
    if len(pool) < num_fewshot:
        raise TooFewShots(f"{task}: --shots {num_fewshot} asked, but its few-shot split has only {len(pool)} examples")
    return tuple(pool[:num_fewshot])


def shots_by_task(tasks: Sequence[str], num_fewshot: int) -> tuple[dict[str, tuple[Question, ...]], dict[str, str]]:
    """Each task's shots, and the tasks skipped (task -> why) because they have no few-shot split, so that
    `--tasks omll --shots 5` runs the eight tasks that have one instead of failing on MedMCQA."""
    shots, skipped = {}, {}
    for task in tasks:
        try:
            shots[task] = shots_for(task, num_fewshot)
        except benchmarks.NoFewshotSplit as exc:
            skipped[task] = str(exc)
    if skipped and not shots:  # nothing left to run: the user's request cannot be met at all
        raise benchmarks.NoFewshotSplit("; ".join(skipped.values()))
    return shots, skipped


def missing_items(con, run_id: str, items: Sequence[Item]) -> tuple[list[Item], int]:
    """Items with no prediction in this run, or whose prediction failed (retried)."""
    done = progress.answered(con, run_id)
    todo = [item for item in items if (item.question.id, item.variant) not in done]
    return todo, len(items) - len(todo)


# ---------------------------------------------------------------- identity


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return versions


def prompts_hash(num_fewshot: int) -> str:
    """One hash over every task's template, so any prompt change shows up as a different run."""
    templates = {task: prompts.template_hash(task, num_fewshot) for task in sorted(benchmarks.CHOICE_TASKS)}
    return sha256_text(json.dumps(templates, sort_keys=True))[:16]


def run_spec(config: EvalConfig, backend: Backend, version_id: str, skipped: dict[str, str] | None = None) -> RunSpec:
    identity = {
        "version_id": version_id,
        "backend": config.backend,
        "scoring_mode": backend.scoring_mode,
        "num_fewshot": config.num_fewshot,
        "prompt_version": prompts.PROMPT_VERSION,
        "dtype": backend.info.dtype,
        "backend_settings": dict(sorted(getattr(backend, "identity_settings", {}).items())),
    }
    settings = {
        **identity,
        "batch_size": config.batch_size,
        "benchmark_source": config.source,
        "fewshot_sampler": "first_n",
        "perturbations": list(config.perturbations),
        "model_arg": config.model,
        "gguf_file": config.gguf_file,
    }
    if skipped:
        settings["skipped_tasks"] = dict(skipped)  # asked for, but not run: task -> why
    return RunSpec(
        run_id=sha256_text(json.dumps(identity, sort_keys=True, default=str))[:16],
        version_id=version_id,
        backend=config.backend,
        scoring_mode=backend.scoring_mode,
        provenance="evaluated",
        num_fewshot=config.num_fewshot,
        dtype=backend.info.dtype,
        device=backend.info.device,
        prompt_version=prompts.PROMPT_VERSION,
        prompt_hash=prompts_hash(config.num_fewshot),
        settings=settings,
        packages=package_versions(),
        tasks=tuple(config.tasks),
    )


# ---------------------------------------------------------------- scoring


def decide(run_id: str, item: Item, request: Request, scores: Scores) -> Prediction:
    """Turn a backend's scores into a prediction row: the chosen option and whether it is right."""
    question = item.question
    base = {
        "run_id": run_id,
        "question_id": question.id,
        "task": question.task,
        "golds": question.golds,
        "prompt_hash": request.prompt_hash,
        "latency_ms": scores.latency_ms,
        "variant": item.variant,
        "status": scores.status,
        "raw_output": scores.raw_output,
        "input_tokens": scores.input_tokens,
        "output_tokens": scores.output_tokens,
        "cost_usd": scores.cost_usd,
    }
    if scores.status != "ok" or scores.choice is not None or not scores.loglikelihoods:
        pred = scores.choice if scores.status == "ok" else None
        probs = softmax(scores.loglikelihoods) if scores.loglikelihoods else None
        return Prediction(
            pred=pred,
            correct=scored_correct(pred, None, question.golds),
            loglikelihoods=scores.loglikelihoods or None,
            probs=_tuple(probs),
            **base,
        )
    probs = softmax(scores.loglikelihoods)
    pred = first_argmax(probs)
    pred_set = None
    if benchmarks.task_info(question.task).metric == "emr" or len(question.golds) > 1:
        # Multi-answer exams: the chosen set is scored by exact match (the paper's EMR).
        from pipeline.analysis.multilabel import choose_answer_set

        pred_set = tuple(choose_answer_set(probs))
    return Prediction(
        pred=pred,
        correct=scored_correct(pred, pred_set, question.golds),
        loglikelihoods=tuple(scores.loglikelihoods),
        probs=_tuple(probs),
        pred_set=pred_set,
        **base,
    )


def _tuple(values):
    return None if values is None else tuple(values)


def score_items(backend: Backend, run_id: str, items: Sequence[Item], shots: dict[str, tuple]) -> list[Prediction]:
    requests = [prompts.build_request(item.question, shots[item.question.task]) for item in items]
    scores = backend.loglikelihood(requests)
    if len(scores) != len(requests):
        raise RuntimeError(f"backend returned {len(scores)} scores for {len(requests)} requests")
    return [decide(run_id, item, request, score) for item, request, score in zip(items, requests, scores)]


def write_batch(path, run_id: str, predictions: Sequence[Prediction]) -> int:
    def write(con) -> int:
        writer.replace_failed(con, run_id, [p.question_id for p in predictions])
        return writer.write_predictions(con, predictions)

    return execute_write(write, path)


def open_run(
    path,
    config: EvalConfig,
    backend: Backend,
    skipped: dict[str, str],
    selected: dict[str, list[Question]],
    items: Sequence[Item],
) -> tuple[str, RunSpec, list[Item], int]:
    """Register the model, tasks, questions and run in one transaction; returns (version id, spec, the items
    still to score, how many were already recorded)."""

    def write(con):
        version_id = writer.register_model_version(con, backend.info)
        spec = run_spec(config, backend, version_id, skipped)
        writer.register_tasks(
            con,
            [(benchmarks.task_info(t), len(benchmarks.load_questions(t, source=config.source))) for t in config.tasks],
        )
        writer.register_questions(con, [q for qs in selected.values() for q in qs])
        writer.start_run(con, spec)
        return (version_id, spec, *missing_items(con, spec.run_id, items))

    return execute_write(write, path)


def close_run(path, run_id: str, seconds: float) -> None:
    """Complete when no failed prediction is left to retry, else failed (a rerun retries those)."""

    def write(con) -> None:
        status = "complete" if progress.failed_count(con, run_id) == 0 else "failed"
        writer.finish_run(con, run_id, status, seconds)

    execute_write(write, path)


# ---------------------------------------------------------------- the run


def backend_options(config: EvalConfig) -> dict:
    """create_backend's keyword options for this config (also what a Ray actor loads its model with)."""
    # how to load weights locally is the transformers backend's business only; backends refuse others' options
    local = (
        {"gguf_file": config.gguf_file, "dtype": config.dtype, "device": config.device, "batch_size": config.batch_size}
        if config.backend == "transformers"
        else {}
    )
    return {
        "model": config.model,
        "revision": config.revision,
        "variant": config.variant,
        "label": config.label,
        **local,
        **config.backend_options,
    }


def evaluate(
    config: EvalConfig,
    backend: Backend | None = None,
    progress: bool = True,
    score_all: Callable | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EvalResult:
    """Plan, score, write. `score_all` replaces the in-process scoring loop (pipeline.distributed's Ray pool
    passes its own); it takes _score_all's arguments and returns the number of failed predictions.
    `on_progress(done, total)` hears of each written batch, counting what earlier invocations wrote
    (`medlb worker` records it in the request store)."""
    started = time.monotonic()
    path = warehouse_path(config.warehouse)
    shots, skipped = shots_by_task(config.tasks, config.num_fewshot)
    for task, reason in skipped.items():
        print(f"warning: skipping {task} at --shots {config.num_fewshot}: {reason}", file=sys.stderr)
    config = replace(config, tasks=[task for task in config.tasks if task not in skipped])
    selected = select_questions(config)  # validation before any write
    items = expand_items((q for qs in selected.values() for q in qs), config.perturbations)
    own_backend = backend is None
    if backend is None:
        backend = create_backend(config.backend, **backend_options(config))
    try:
        version_id, spec, todo, n_skipped = open_run(path, config, backend, skipped, selected, items)
        written = None
        if on_progress is not None:
            n_before = len(items) - len(todo)
            written = lambda n: on_progress(n_before + n, len(items))  # noqa: E731
        n_failed = (score_all or _score_all)(
            backend, path, spec.run_id, todo, shots, config.batch_size, progress, written
        )
        elapsed = time.monotonic() - started
        close_run(path, spec.run_id, elapsed)
    finally:
        if own_backend:
            backend.close()
    question_ids = {t: [q.id for q in qs] for t, qs in selected.items()}
    tasks = task_accuracies(path, spec.run_id, config.tasks, question_ids)
    average, weighted = leaderboard_means(tasks)
    set_scores = task_set_scores(path, spec.run_id, config.tasks, question_ids)
    return EvalResult(
        spec.run_id,
        version_id,
        len(items),
        len(todo),
        n_skipped,
        n_failed,
        elapsed,
        tasks,
        average,
        weighted,
        set_scores,
    )


def by_prompt_length(todo: list[Item], shots) -> list[Item]:
    """Each task's items longest prompt first (tasks keep their order): a write batch then holds prompts of
    similar length, which a backend batches with little padding. Measured on the nine tasks with SmolLM2's
    tokenizer at --batch-size 16 (HFBackend.length_batches over the real tokens): 4.6% pad tokens with sorted
    128-item write batches, 11.4% unsorted with 64. Predictions are keyed by question: order changes no number."""
    task_order = {task: i for i, task in enumerate(dict.fromkeys(item.question.task for item in todo))}

    def key(item: Item):
        return task_order[item.question.task], -len(
            prompts.build_request(item.question, shots[item.question.task]).prompt
        )

    return sorted(todo, key=key)


class PredictionSink:
    """Where a scoring loop's predictions go: written in one transaction per batch, counted, shown on the
    progress bar, and reported to `written(n)` (n: this loop's predictions so far) after each write."""

    def __init__(self, path, run_id: str, total: int, desc: str, progress: bool, written: Callable | None = None):
        self.path, self.run_id, self.written = path, run_id, written
        self.n_failed = self.n_written = 0
        self.bar = tqdm(total=total, unit="q", desc=desc, disable=not progress or not total)

    def write(self, predictions: list[Prediction]) -> None:
        write_batch(self.path, self.run_id, predictions)
        self.n_failed += sum(p.status == "failed" for p in predictions)
        self.n_written += len(predictions)
        self.bar.update(len(predictions))
        if self.written is not None:  # not bar.n: a disabled bar does not count
            self.written(self.n_written)

    def close(self) -> int:
        """Closes the bar; how many predictions failed."""
        self.bar.close()
        return self.n_failed


def _score_all(
    backend, path, run_id, todo: list[Item], shots, batch_size: int, progress: bool, written: Callable | None = None
) -> int:
    """Score and write `todo`; `written(n)` after each write, n counting this call's predictions so far."""
    # Larger write batches than model batches: fewer transactions, still little lost on a kill.
    chunk = max(batch_size * 8, 4)
    todo = by_prompt_length(todo, shots)
    sink = PredictionSink(path, run_id, len(todo), "evaluating", progress, written)
    for start in range(0, len(todo), chunk):
        sink.write(score_items(backend, run_id, todo[start : start + chunk], shots))
    return sink.close()


def task_accuracies(path, run_id: str, tasks: Sequence[str], question_ids: dict[str, list[str]]) -> dict[str, Accuracy]:
    """Accuracy per task over this invocation's questions, read back from the warehouse."""
    with read_connection(path) as con:
        frame = progress.run_answers(con, run_id)
    result = {}
    for task in tasks:
        rows = frame.filter(pl.col("task") == task, pl.col("question_id").is_in(question_ids[task]))
        result[task] = accuracy(rows["correct"].to_list())
    return result


def task_set_scores(path, run_id: str, tasks: Sequence[str], question_ids: dict[str, list[str]]) -> dict:
    """(EMR, Hamming score) per multi-answer task over this invocation's questions."""
    multi = [task for task in tasks if benchmarks.get_task(task).multi_answer]
    if not multi:
        return {}
    with read_connection(path) as con:
        return {t: progress.run_set_scores(con, run_id, t, question_ids[t], multilabel.SET_SHARE) for t in multi}


def leaderboard_means(tasks: dict[str, Accuracy]) -> tuple[float | None, float | None]:
    nine = [tasks[t] for t in benchmarks.OMLL_TASKS if t in tasks and tasks[t].n]
    average = leaderboard_average([a.acc for a in nine], len(benchmarks.OMLL_TASKS))
    return (None, None) if average is None else (average, weighted_mean([a.acc for a in nine], [a.n for a in nine]))


def format_summary(result: EvalResult) -> str:
    lines = [
        (
            f"run {result.run_id} (model version {result.version_id}): scored {result.n_scored}, "
            f"already recorded {result.n_skipped}, failed {result.n_failed}, {result.seconds:.1f}s"
        )
    ]
    lines.append(f"{'task':32} {'n':>6} {'acc':>7}  95% CI (Wilson)")
    for task, acc in result.tasks.items():
        if acc.n:
            lines.append(f"{task:32} {acc.n:6d} {acc.acc:7.4f}  [{acc.low:.4f}, {acc.high:.4f}]")
            emr, hamming = result.set_scores.get(task, (None, None))
            if emr is not None:  # a multi-answer task: accuracy is its exact match ratio; Hamming credits overlap
                lines.append(f"{'  EMR (exact match ratio)':32} {'':6} {emr:7.4f}")
                lines.append(f"{'  Hamming score':32} {'':6} {hamming:7.4f}")
        else:
            lines.append(f"{task:32} {0:6d}       -")
    if result.average is not None:
        lines.append(
            f"{'leaderboard average (9 tasks)':32} {'':6} {result.average:7.4f}  (size-weighted {result.weighted:.4f})"
        )
    else:
        lines.append("leaderboard average: needs all nine tasks (--tasks omll)")
    return "\n".join(lines)
