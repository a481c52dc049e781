"""An lm-eval results JSON with no samples files: 'aggregate only' runs (migration 010).

This is the form the Hugging Face Open Medical-LLM Leaderboard published per model (the dataset
openlifescienceai/results): `results` (per task `acc,none` and `acc_stderr,none`), `versions`, `n-shot`
and `config` (`model_name`, `model_sha`, `model_dtype`, lm-eval's settings); hand-entered entries there
(GPT-4, Med-PaLM 2) have `results` and `config` only. A newer lm-eval adds `n-samples`, `configs` and
`model_args`. Without samples no question is known, so the run keeps each task's accuracy and, where
the file gives or implies it exactly, its n: `n-samples.<task>.effective`, else the n its acc_stderr
implies (pipeline.importers.summaries.n_from_stderr), else none.

pipeline.importers.lm_eval sends a results file here when no samples file of its invocation exists.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.importers import summaries
from warehouse.errors import MedlbError
from warehouse.imports import ImportReport, SummaryRun, SummaryScore
from warehouse.records import ModelInfo, version_id_for

KIND = "aggregate"
# Keys of the file kept out of the run's settings: the scores themselves, and long machine-specific text.
NOT_SETTINGS = ("results", "configs", "samples", "pretty_env_info", "chat_template")


class AggregateFormatError(MedlbError, ValueError):
    """A results file without samples is not what lm-eval writes; the message names the file and field."""


def problem(path: Path, field: str, what: str) -> AggregateFormatError:
    return AggregateFormatError(f"{path}: field {field!r}: {what}")


def has_no_samples(results_path: Path) -> bool:
    """No samples_*_<stamp>.jsonl of this invocation beside the results file: lm-eval ran without
    --log_samples, or only the results file was published (as the HF leaderboard did)."""
    stamp = results_path.stem.removeprefix("results_").removeprefix("results")
    return not any(results_path.parent.glob(f"samples_*_{glob.escape(stamp)}.jsonl"))


def load(path: Path) -> dict:
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:
        raise AggregateFormatError(f"{path}: not a readable JSON results file ({error})") from None
    if not isinstance(results, dict) or not isinstance(results.get("results"), dict):
        raise AggregateFormatError(f"{path}: no 'results' object; this is not an lm-eval results_*.json")
    for name in ("config", "n-shot", "n-samples", "configs", "versions"):
        if results.get(name) is not None and not isinstance(results[name], dict):
            raise problem(path, name, f"must be an object, found {type(results[name]).__name__}")
    return results


def model_info(results: dict, path: Path) -> ModelInfo:
    """The model as the leaderboard's files name it (config.model_name / model_sha); a file lm-eval wrote
    itself (config.model_args) names it as the per-question import does, so both land on one version."""
    config = results.get("config") or {}
    if config.get("model_args") and not config.get("model_name"):
        from pipeline.importers import lm_eval  # it imports this module

        try:
            return lm_eval.model_info(results, path)
        except lm_eval.LmEvalFormatError as error:
            raise AggregateFormatError(str(error)) from None
    raw_args = config.get("model_args") or {}
    if isinstance(raw_args, str):
        raw_args = dict(item.split("=", 1) for item in raw_args.split(",") if "=" in item)
    args = {str(k).strip(): str(v).strip() for k, v in raw_args.items()} if isinstance(raw_args, dict) else {}
    name = config.get("model_name") or args.get("pretrained") or args.get("model") or results.get("model_name")
    if not name or not isinstance(name, str):
        raise problem(path, "config.model_name", "names no model (nor config.model_args pretrained=...)")
    revision = args.get("revision") or config.get("model_sha") or config.get("model_revision") or "unrecorded"
    dtype = str(config.get("model_dtype") or args.get("dtype") or "unknown").removeprefix("torch.")
    return ModelInfo(name=name, revision=str(revision), label="lm-eval results only", dtype=dtype, source="imported")


def number(path: Path, field: str, value: Any, *, optional: bool = False) -> float | None:
    if value is None or (optional and isinstance(value, str)):  # lm-eval writes "N/A" for a missing stderr
        if optional:
            return None
        raise problem(path, field, "missing")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise problem(path, field, f"must be a finite number, found {value!r}")
    return float(value)


def shots(results: dict, path: Path, task: str) -> int | None:
    """n-shot.<task>, else configs.<task>.num_fewshot, else None: the file does not say."""
    for field, value in (
        (f"n-shot.{task}", (results.get("n-shot") or {}).get(task)),
        (f"configs.{task}.num_fewshot", ((results.get("configs") or {}).get(task) or {}).get("num_fewshot")),
    ):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise problem(path, field, f"must be a whole number of shots, found {value!r}")
            return value
    return None


def task_score(results: dict, path: Path, task: str) -> SummaryScore:
    entry = results["results"][task]
    if not isinstance(entry, dict):
        raise problem(path, f"results.{task}", f"must be an object, found {type(entry).__name__}")
    key = "acc,none" if "acc,none" in entry else "acc"
    accuracy = number(path, f"results.{task}.{key}", entry.get(key))
    if not 0 <= accuracy <= 1:
        raise problem(path, f"results.{task}.{key}", f"an accuracy is within 0..1, found {accuracy}")
    stderr_key = "acc_stderr,none" if "acc_stderr,none" in entry else "acc_stderr"
    stderr = number(path, f"results.{task}.{stderr_key}", entry.get(stderr_key), optional=True)
    counted = (results.get("n-samples") or {}).get(task)
    if counted is not None:
        n = counted.get("effective") if isinstance(counted, dict) else None
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise problem(path, f"n-samples.{task}.effective", f"must be a whole number of questions, found {n!r}")
        n_correct = summaries.whole(accuracy * n)
        if n_correct is None:
            raise problem(path, f"results.{task}.{key}", f"{accuracy} of {n} questions is not a whole number right")
        return SummaryScore(task, accuracy, n, n_correct, "n-samples", stderr)
    n = summaries.n_from_stderr(accuracy, stderr)
    if n is None:
        return SummaryScore(task, accuracy, stderr=stderr)
    return SummaryScore(task, accuracy, n, summaries.whole(accuracy * n), "acc_stderr", stderr)


def protocol(results: dict) -> str:
    version = results.get("lm_eval_version") or (results.get("config") or {}).get("lm_eval_version")
    model = (results.get("config") or {}).get("model")
    harness = f"lm-eval {version}" if version else "lm-eval (version not recorded)"
    return f"{harness}, multiple-choice log-likelihood" + (f", model type {model}" if model else "")


def evaluated_at(results: dict) -> datetime | None:
    date = results.get("date")
    if isinstance(date, (int, float)) and not isinstance(date, bool) and math.isfinite(date):
        return datetime.fromtimestamp(float(date), UTC).replace(tzinfo=None)
    return None


def plan(path: Path, report: ImportReport) -> list[tuple[ModelInfo, SummaryRun]]:
    """The aggregate runs of one results file (one per shot count), checked whole; raises
    AggregateFormatError, and so nothing of the file is written, when any field it reads is bad."""
    raw = path.read_bytes()
    results = load(path)
    info = model_info(results, path)
    version_id = version_id_for(info.name, info.revision, info.variant)
    known = summaries.scored_tasks()
    by_shots: dict[int | None, list[SummaryScore]] = defaultdict(list)
    for task in sorted(results["results"]):
        if task not in known:
            report.skipped_tasks.append(task)
            report.warnings.append(f"{path.name}: task {task!r} is not an accuracy task this warehouse knows; skipped")
            continue
        by_shots[shots(results, path, task)].append(task_score(results, path, task))
    sha = hashlib.sha256(raw).hexdigest()
    settings = {k: v for k, v in results.items() if k not in NOT_SETTINGS}
    planned = []
    for n_shots, scores in sorted(by_shots.items(), key=lambda item: (item[0] is None, item[0] or 0)):
        run = SummaryRun(
            run_id=summaries.run_id(KIND, version_id, sha, n_shots),
            kind=KIND,
            version_id=version_id,
            num_fewshot=n_shots,
            protocol=protocol(results),
            citation=None,
            source_file=path.name,
            source_sha256=sha,
            scores=tuple(scores),
            settings=settings | {"results_file": path.name},
            packages={"lm_eval": str(results.get("lm_eval_version") or "unknown")},
            evaluated_at=evaluated_at(results),
        )
        planned.append((info, run))
        report.run_ids.append(run.run_id)
        unknown_n = [s.task for s in scores if s.n is None]
        if unknown_n:
            report.warnings.append(
                f"{path.name}: no n for {', '.join(unknown_n)} (no n-samples, and acc_stderr implies none): "
                "shown without an interval"
            )
    report.warnings.append(
        f"{path.name}: no samples files, imported as aggregate only: per-task accuracies without "
        "per-question data, kept out of every paired test (rerun lm-eval with --log_samples for those)"
    )
    return planned
