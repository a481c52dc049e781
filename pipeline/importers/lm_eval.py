"""Import lm-evaluation-harness output (`lm-eval run ... --log_samples --output_path DIR`).

lm-eval writes, per invocation, `results_<timestamp>.json` (config, versions, per-task configs and
scores) and one `samples_<task>_<timestamp>.jsonl` per task (each line: the hub document, the
prompt, and one log-likelihood per choice). Each results file becomes one run per shot count, with
provenance 'imported' and backend 'lm-eval'.

Samples are joined to our questions BY CONTENT: lm-eval's `doc_id` is a position in whatever copy of
the data it read (often the hub's), so the document's own fields (question text, options, context)
are turned into the same normalized key our Questions give. The run id is a hash of the model
version and the results file's bytes, so importing the same output twice adds nothing.

A results file with no samples files at all (lm-eval run without --log_samples, or the files the Hugging
Face leaderboard published) is imported as 'aggregate only' by pipeline.importers.lm_eval_aggregate:
per-task accuracies, no predictions, kept out of every paired test (migration 010).

An import is all or nothing per results file: every file it names (results, samples) is read and
checked first, a bad one refused whole with its file, line and field, and what the good ones make
is then written in ONE warehouse transaction (warehouse.db.execute_write).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline import benchmarks
from pipeline.benchmarks.files import surrogate_at
from pipeline.importers import lm_eval_aggregate, summaries
from pipeline.metrics import scored_correct, softmax
from warehouse import imports, writer
from warehouse.db import execute_write
from warehouse.errors import MedlbError
from warehouse.imports import ImportReport
from warehouse.records import (
    ModelInfo,
    Prediction,
    Question,
    RunSpec,
    TaskInfo,
    content_hash,
    first_argmax,
    sha256_text,
    version_id_for,
)

BACKEND = "lm-eval"
PYTORCH_VERSION = re.compile(r"^PyTorch version: (\S+)", re.MULTILINE)
# lm-eval records these in results files; settings keep the rest. The environment dump is long and
# machine-specific, the chat template is kept by its sha.
DROPPED_RESULT_KEYS = ("pretty_env_info", "chat_template")


class LmEvalFormatError(MedlbError, ValueError):
    """A results or samples file is not what lm-eval writes; the message names the file and field."""


class LmEvalOutputMissing(MedlbError, FileNotFoundError):
    """The path given is not an lm-eval output folder or results file."""


def format_error(path: Path, field: str, problem: str, line: int | None = None) -> LmEvalFormatError:
    """`file:line: field 'x': what is wrong; what to do` (no line for the results JSON, read whole)."""
    where = f"{path}:{line}" if line is not None else str(path)
    return LmEvalFormatError(f"{where}: field {field!r}: {problem}")


# ---------------------------------------------------------------- finding the files


def find_results_files(output_path: Path) -> list[Path]:
    """`output_path` is what was given to --output_path: a folder (searched recursively) or one results file."""
    output_path = Path(output_path)
    if output_path.is_file():
        return [output_path]
    if not output_path.is_dir():
        raise LmEvalOutputMissing(f"{output_path}: no such lm-eval output folder or results file")
    found = sorted(output_path.rglob("results*.json"))
    if not found:
        raise LmEvalOutputMissing(
            f"{output_path}: no results_*.json inside; pass the folder given to lm-eval's --output_path "
            "(run lm-eval with --log_samples so the per-question samples are written too)"
        )
    return found


def results_stamp(results_path: Path) -> str:
    return results_path.stem.removeprefix("results_").removeprefix("results")


def samples_path(results_path: Path, task: str) -> Path:
    """results_<ts>.json -> samples_<task>_<ts>.jsonl in the same folder (lm-eval's naming)."""
    return results_path.with_name(f"samples_{task}_{results_stamp(results_path)}.jsonl")


def check_no_orphan_samples(results_path: Path, configs: dict) -> None:
    """A samples file of this invocation whose task the results file lacks would be dropped unseen."""
    stamp = results_stamp(results_path)
    suffix = f"_{stamp}.jsonl"
    for path in sorted(results_path.parent.glob(f"samples_*{suffix}")):
        task = path.name.removeprefix("samples_").removesuffix(suffix)
        if task not in configs:
            raise LmEvalFormatError(
                f"{path}: samples of task {task!r}, but {results_path.name} has no configs[{task!r}] (nor its "
                "scores); copy the results file written by the same lm-eval run, or remove this samples file"
            )


# ---------------------------------------------------------------- reading a samples file


@dataclass(frozen=True)
class Sample:
    """One checked line of a samples file: where it is, lm-eval's record, and the scores read from it."""

    path: Path
    line: int
    record: dict
    loglikelihoods: tuple[float, ...]
    prompt: str

    @property
    def doc(self) -> dict:
        return self.record["doc"]


def sample_lines(path: Path) -> Iterable[tuple[int, dict]]:
    """(line number, JSON object) per non-empty line, bad UTF-8 and bad JSON named by line."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise LmEvalFormatError(f"{path}: cannot be read ({error})") from None
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LmEvalFormatError(
                f"{path}:{number}: not UTF-8 ({error}); lm-eval writes UTF-8, "
                "the file was damaged or re-encoded: copy it again"
            ) from None
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except (ValueError, RecursionError) as error:  # bad JSON, a number of >4300 digits, nesting too deep
            raise LmEvalFormatError(f"{path}:{number}: not JSON ({error})") from None
        if not isinstance(record, dict):
            raise LmEvalFormatError(f"{path}:{number}: a sample must be a JSON object, found {type(record).__name__}")
        yield number, record


# JSON's "\\ud800" escape decodes to a string that is not text: no UTF-8 hash, JSON column or file takes it.
SURROGATE_PROBLEM = (
    "holds a lone surrogate escape (\\ud800-\\udfff), which is not text; the file was damaged: copy it again"
)


def checked_sample(path: Path, number: int, record: dict) -> Sample:
    if (where := surrogate_at(record)) is not None:
        raise format_error(path, where, SURROGATE_PROBLEM, number)
    for name in ("doc_id", "doc", "resps"):
        if name not in record:
            raise format_error(path, name, "missing; was lm-eval run with --log_samples?", number)
    if not isinstance(record["doc_id"], int) or isinstance(record["doc_id"], bool):
        raise format_error(path, "doc_id", f"must be an integer, found {record['doc_id']!r}", number)
    if not isinstance(record["doc"], dict):
        raise format_error(
            path, "doc", f"must be an object (the dataset row), found {type(record['doc']).__name__}", number
        )
    try:
        lls = sample_loglikelihoods(record)
    except (TypeError, ValueError, IndexError, KeyError, OverflowError) as error:  # Overflow: float(10**400)
        raise format_error(path, "resps", f"not one log-likelihood per choice ({error})", number) from None
    if not lls or not all(math.isfinite(ll) for ll in lls):
        raise format_error(
            path,
            "resps",
            f"log-likelihoods must be finite numbers, found {list(lls)}; "
            "rerun lm-eval for this task (a nan/inf score cannot be ranked)",
            number,
        )
    try:
        prompt = sample_prompt(record)
    except (TypeError, IndexError, KeyError, AttributeError) as error:
        raise format_error(
            path, "arguments", f"not lm-eval's (context, continuation) pairs ({error})", number
        ) from None
    if prompt is not None and not isinstance(prompt, str):
        raise format_error(path, "arguments", f"the context must be text, found {type(prompt).__name__}", number)
    return Sample(path, number, record, lls, prompt or "")


def checked_samples(path: Path) -> list[Sample]:
    """One sample per doc_id, in doc_id order: the unfiltered ('none') line when a task logged several filters."""
    by_doc: dict[int, Sample] = {}
    for number, record in sample_lines(path):
        sample = checked_sample(path, number, record)
        doc_id = record["doc_id"]
        if doc_id not in by_doc or (record.get("filter") == "none" and by_doc[doc_id].record.get("filter") != "none"):
            by_doc[doc_id] = sample
    return [by_doc[d] for d in sorted(by_doc)]


# ---------------------------------------------------------------- content keys


def doc_content(task: str, doc: dict) -> tuple[str | None, str, list[str]]:
    """(context, question text, options) of a document in the schema lm-eval's built-in task reads."""
    mapping = benchmarks.get_task(task).doc_content
    if mapping is None:
        raise LmEvalFormatError(f"{task}: no content mapping for this task")
    try:
        context, text, options = mapping(doc)
    except (KeyError, TypeError, AttributeError) as error:
        raise LmEvalFormatError(f"{task}: document lacks field {error} of the hub schema") from None
    texts = [text, *options] + ([] if context is None else [context])
    if not all(isinstance(value, str) for value in texts):  # a number where the question or an option goes
        raise LmEvalFormatError(f"{task}: the document's question, options and context must be text")
    return context, text, list(options)


def doc_key(task: str, doc: dict) -> str:
    context, text, options = doc_content(task, doc)
    return content_hash(text, options, context, ignore_whitespace=True)


def question_key(question: Question) -> str:
    return content_hash(question.text, question.options, question.context, ignore_whitespace=True)


def supported(task: str) -> bool:
    return task in benchmarks.TASKS and benchmarks.TASKS[task].doc_content is not None


class QuestionIndex:
    """Our questions of one task by content key; identical questions are handed out in file order."""

    def __init__(self, questions: Iterable[Question]):
        self._by_key: dict[str, list[Question]] = defaultdict(list)
        for question in questions:
            self._by_key[question_key(question)].append(question)
        self._used: set[str] = set()

    def match(self, task: str, doc: dict) -> Question | None:
        candidates = [q for q in self._by_key.get(doc_key(task, doc), []) if q.id not in self._used]
        if not candidates:
            return None
        source_id = benchmarks.get_task(task).doc_source_id(doc)
        chosen = next((q for q in candidates if q.source_id == source_id), candidates[0])
        self._used.add(chosen.id)
        return chosen


# ---------------------------------------------------------------- reading one sample


def sample_loglikelihoods(sample: dict) -> tuple[float, ...]:
    """resps is [[[ll, is_greedy]], ...] per choice (filtered_resps one level less); lm-eval logs strings."""
    values = []
    for resp in sample["resps"]:
        while isinstance(resp, list) and resp and isinstance(resp[0], (list, tuple)):
            resp = resp[0]
        values.append(float(resp[0] if isinstance(resp, (list, tuple)) else resp))
    return tuple(values)


def sample_prompt(sample: dict) -> str | None:
    """The context lm-eval scored the choices after (the same for every choice)."""
    arguments = sample.get("arguments")
    first = arguments.get("gen_args_0") if isinstance(arguments, dict) else (arguments[0] if arguments else None)
    if isinstance(first, dict):
        return first.get("arg_0")
    if isinstance(first, (list, tuple)) and first:
        return first[0]
    return None


def sample_gold(sample: dict, choices: Sequence[str]) -> int | None:
    target = sample.get("target")
    if isinstance(target, int):
        return target
    if isinstance(target, str):
        digits = target.strip().lstrip("-")
        if digits.isascii() and digits.isdigit():  # "²".isdigit(), yet int("²") fails
            return int(target)
        if target in choices:
            return list(choices).index(target)
    return None


def to_prediction(run_id: str, question: Question, sample: Sample) -> Prediction:
    lls = sample.loglikelihoods
    if len(lls) != len(question.options):
        raise format_error(
            sample.path,
            "resps",
            f"{len(lls)} log-likelihoods for the {len(question.options)} options "
            f"of {question.id}; the samples file belongs to another version of the task",
            sample.line,
        )
    probs = softmax(lls)
    pred = first_argmax(probs)
    return Prediction(
        run_id=run_id,
        question_id=question.id,
        task=question.task,
        pred=pred,
        golds=question.golds,
        correct=scored_correct(pred, None, question.golds),
        loglikelihoods=lls,
        probs=tuple(probs),
        prompt_hash=sha256_text(sample.prompt)[:16],
    )


# ---------------------------------------------------------------- model and run identity


def model_args(config: dict) -> dict[str, Any]:
    """lm-eval 0.4.13 logs model_args as a dict; older versions as 'k=v,k2=v2'."""
    raw = config.get("model_args") or {}
    if isinstance(raw, dict):
        return raw
    pairs = (item.split("=", 1) for item in str(raw).split(",") if "=" in item)
    return {key.strip(): value.strip() for key, value in pairs}


def is_local_path(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or bool(re.match(r"^[A-Za-z]:[\\/]", name))


def model_info(results: dict, path: Path) -> ModelInfo:
    config = results.get("config") or {}
    args = model_args(config)
    name = args.get("pretrained") or args.get("model") or results.get("model_name")
    if not name:
        raise LmEvalFormatError(f"{path}: config.model_args names no model (pretrained=... or model=...)")
    name = str(name)
    kind = str(config.get("model") or "")
    api = "api" in kind or "completions" in kind or "chat" in kind
    source = "api" if api else ("local" if is_local_path(name) else "hub")
    # An explicit revision wins, then the commit lm-eval resolved on the hub; a local folder without
    # one has no recorded revision (lm-eval's model_revision is then just its default, "main").
    revision = args.get("revision") or config.get("model_sha") or None
    if revision is None:
        revision = "unrecorded" if source != "hub" else str(config.get("model_revision") or "main")
    dtype = str(args.get("dtype") or config.get("model_dtype") or "").removeprefix("torch.") or None
    n_params = config.get("model_num_parameters")
    return ModelInfo(
        name=name,
        revision=str(revision),
        label="lm-eval import",
        dtype=dtype or "unknown",
        device=str(config.get("device") or ""),
        n_params=int(n_params)
        if isinstance(n_params, (int, float)) and math.isfinite(n_params) and n_params > 0
        else None,
        source=source,
    )


def packages(results: dict) -> dict[str, str]:
    found = {"lm_eval": str(results.get("lm_eval_version") or "unknown")}
    if results.get("transformers_version"):
        found["transformers"] = str(results["transformers_version"])
    torch = PYTORCH_VERSION.search(results.get("pretty_env_info") or "")
    if torch:
        found["torch"] = torch.group(1)
    return found


def templates_hash(results: dict, tasks: Sequence[str]) -> str:
    """One hash over what shapes the prompts lm-eval scored, as our prompt_hash is over our templates."""
    fields = ("doc_to_text", "doc_to_choice", "doc_to_target", "description", "target_delimiter", "fewshot_delimiter")
    configs = results.get("configs") or {}
    shaped = {task: {f: configs.get(task, {}).get(f) for f in fields} for task in sorted(tasks)}
    return sha256_text(json.dumps(shaped, sort_keys=True, default=str))[:16]


def run_times(results: dict, path: Path) -> tuple[datetime | None, float | None]:
    seconds = results.get("total_evaluation_time_seconds")
    try:
        seconds = float(seconds) if seconds not in (None, "") else None
    except (TypeError, ValueError):
        raise format_error(path, "total_evaluation_time_seconds", f"must be a number, found {seconds!r}") from None
    if seconds is not None and not (math.isfinite(seconds) and seconds >= 0):
        raise format_error(
            path, "total_evaluation_time_seconds", f"must be a finite number of seconds, found {seconds}"
        )
    date = results.get("date")
    started = datetime.fromtimestamp(float(date), UTC).replace(tzinfo=None) if isinstance(date, (int, float)) else None
    return started, seconds


def run_spec(
    results: dict, path: Path, results_sha: str, version_id: str, tasks: Sequence[str], shots: int, info: ModelInfo
) -> RunSpec:
    settings = {k: v for k, v in results.items() if k not in DROPPED_RESULT_KEYS}
    settings["configs"] = {t: c for t, c in (results.get("configs") or {}).items() if t in tasks}
    settings.update(results_file=path.name, results_sha256=results_sha, imported_tasks=list(tasks))
    return RunSpec(
        run_id=sha256_text(json.dumps([BACKEND, version_id, results_sha, shots]))[:16],
        version_id=version_id,
        backend=BACKEND,
        scoring_mode="loglikelihood",
        provenance="imported",
        num_fewshot=shots,
        dtype=info.dtype,
        device=info.device or None,
        prompt_version=f"lm-eval-{results.get('lm_eval_version') or 'unknown'}",
        prompt_hash=templates_hash(results, tasks),
        settings=settings,
        packages=packages(results),
        tasks=tuple(tasks),
    )


# ---------------------------------------------------------------- one results file


def load_results(path: Path) -> dict:
    """The results JSON, with the fields the import reads checked for their shape."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as error:  # ValueError: bad UTF-8 or JSON, a 5000-digit number
        raise LmEvalFormatError(f"{path}: not a readable JSON results file ({error})") from None
    if not isinstance(results, dict) or not isinstance(results.get("configs"), dict):
        raise LmEvalFormatError(f"{path}: no 'configs' object; this is not an lm-eval results_*.json")
    if (where := surrogate_at(results)) is not None:
        raise format_error(path, where, SURROGATE_PROBLEM)
    for task, config in results["configs"].items():
        if not isinstance(config, dict):
            raise format_error(
                path,
                f"configs.{task}",
                f"must be an object (the task's config), found "
                f"{type(config).__name__}; use the results file lm-eval wrote",
            )
    for name in ("config", "n-shot"):
        if results.get(name) is not None and not isinstance(results[name], dict):
            raise format_error(
                path,
                name,
                f"must be an object, found {type(results[name]).__name__}; use the results file lm-eval wrote",
            )
    return results


def task_shots(results: dict, path: Path, task: str) -> int:
    """The task's few-shot count: lm-eval's n-shot entry, else the task config's num_fewshot, else 0."""
    n_shot = (results.get("n-shot") or {}).get(task)
    num_fewshot = results["configs"][task].get("num_fewshot")
    for field, shots in ((f"n-shot.{task}", n_shot), (f"configs.{task}.num_fewshot", num_fewshot)):
        if shots is not None and (not isinstance(shots, int) or isinstance(shots, bool) or shots < 0):
            raise format_error(path, field, f"must be a whole number of shots, found {shots!r}")
    return n_shot or num_fewshot or 0


def collect_task(
    results: dict, path: Path, task: str, report: ImportReport
) -> tuple[list[Question], list[Sample]] | None:
    """The task's matched (question, sample) pairs, or None when the task is skipped (with a warning)."""
    config = results["configs"][task]
    if not supported(task):
        report.skipped_tasks.append(task)
        report.warnings.append(f"{path.name}: task {task!r} is not one this warehouse knows; skipped")
        return None
    if config.get("output_type", "multiple_choice") != "multiple_choice":
        report.skipped_tasks.append(task)
        report.warnings.append(
            f"{path.name}: task {task!r} is {config.get('output_type')}, only multiple_choice "
            "(log-likelihood) tasks are imported; skipped"
        )
        return None
    spath = samples_path(path, task)
    if not spath.exists():
        raise LmEvalFormatError(f"{path}: {spath.name} is missing; rerun lm-eval with --log_samples")
    index = QuestionIndex(benchmarks.load_questions(task))
    matched_questions, matched_samples, unmatched = [], [], 0
    for sample in checked_samples(spath):
        try:
            question = index.match(task, sample.doc)
        except LmEvalFormatError as error:  # the document lacks a field of the task's hub schema
            raise format_error(spath, "doc", str(error), sample.line) from None
        if question is None:
            unmatched += 1
            continue
        matched_questions.append(question)
        matched_samples.append(sample)
    if unmatched:
        report.unmatched_samples += unmatched
        report.unmatched_by_task[task] = report.unmatched_by_task.get(task, 0) + unmatched
        report.warnings.append(
            f"{spath.name}: {unmatched} of {unmatched + len(matched_samples)} samples match no "
            f"{task} question by content (a different copy or version of the data?); not imported"
        )
    choices = config.get("doc_to_choice") if isinstance(config.get("doc_to_choice"), list) else []
    disagree = [
        q.id
        for q, s in zip(matched_questions, matched_samples)
        if (g := sample_gold(s.record, choices)) is not None and (g,) != tuple(q.golds)
    ]
    if disagree:
        report.warnings.append(
            f"{spath.name}: lm-eval's gold differs from ours for {len(disagree)} questions "
            f"(e.g. {disagree[0]}); correctness is scored against ours"
        )
    return matched_questions, matched_samples


@dataclass(frozen=True)
class PlannedRun:
    """One run of one results file, read and checked whole: what the write puts in the warehouse."""

    spec: RunSpec
    info: ModelInfo
    tasks: list[tuple[TaskInfo, int]]  # each task and its number of questions
    questions: list[Question]
    predictions: list[Prediction]
    started: datetime | None
    seconds: float | None


def plan_results_file(path: Path) -> tuple[ImportReport, list[PlannedRun]]:
    """Every run one results file makes (one per shot count), with its warnings; raises
    LmEvalFormatError, and so nothing of the file is written, when any of its files is bad."""
    report = ImportReport()
    raw = path.read_bytes()
    results = load_results(path)
    check_no_orphan_samples(path, results["configs"])
    results_sha = hashlib.sha256(raw).hexdigest()
    info = model_info(results, path)
    version_id = version_id_for(info.name, info.revision, info.variant)
    started, seconds = run_times(results, path)

    by_shots: dict[int, list[tuple[str, list[Question], list[Sample]]]] = defaultdict(list)
    for task in sorted(results["configs"]):
        collected = collect_task(results, path, task, report)
        if collected is not None and collected[0]:
            by_shots[task_shots(results, path, task)].append((task, *collected))

    planned = []
    for shots, groups in sorted(by_shots.items()):
        tasks = [task for task, _, _ in groups]
        spec = run_spec(results, path, results_sha, version_id, tasks, shots, info)
        report.run_ids.append(spec.run_id)
        planned.append(
            PlannedRun(
                spec=spec,
                info=info,
                tasks=[(benchmarks.task_info(t), len(benchmarks.load_questions(t))) for t in tasks],
                questions=[q for _, qs, _ in groups for q in qs],
                predictions=[to_prediction(spec.run_id, q, s) for _, qs, ss in groups for q, s in zip(qs, ss)],
                started=started,
                seconds=seconds,
            )
        )
    return report, planned


# ---------------------------------------------------------------- writing


def write_run(con: duckdb.DuckDBPyConnection, run: PlannedRun) -> int | None:
    """Write one planned run inside the caller's transaction; returns the predictions added, or None
    when the run is already here (the same output imported before: nothing is written)."""
    if imports.run_version(con, run.spec.run_id) is not None:
        return None
    writer.register_model_version(con, run.info)
    writer.register_tasks(con, run.tasks)
    writer.register_questions(con, run.questions)
    writer.start_run(con, run.spec)
    added = writer.write_predictions(con, run.predictions)
    writer.finish_run(con, run.spec.run_id, "complete", run.seconds)
    if run.started is not None:  # when lm-eval ran, not when it was imported
        imports.set_run_times(con, run.spec.run_id, run.started, run.started + timedelta(seconds=run.seconds or 0))
    return added


def import_lm_eval(warehouse: str | Path | None, output_path: Path) -> ImportReport:
    """Import every results file under `output_path`: each is read and checked whole first, a bad one is
    refused (listed with file, line and field) and writes nothing, and the runs of the others are
    written in one transaction. A results file without samples files becomes an aggregate-only run.

    Skipped tasks and unmatched samples are warnings in the report (its summary() prints them).
    """
    report = ImportReport()
    planned: list[PlannedRun] = []
    aggregate: list = []
    for path in find_results_files(Path(output_path)):
        file_report = ImportReport()
        try:
            if lm_eval_aggregate.has_no_samples(path):
                aggregate.extend(lm_eval_aggregate.plan(path, file_report))
            else:
                file_report, runs = plan_results_file(path)
                planned.extend(runs)
        except (LmEvalFormatError, lm_eval_aggregate.AggregateFormatError) as error:
            report.refused.append((path, str(error)))
            continue
        report.merge(file_report)
    if not planned and not aggregate:
        return report

    def write(con: duckdb.DuckDBPyConnection) -> tuple[list[int | None], list[bool]]:
        return [write_run(con, run) for run in planned], summaries.write_runs(con, aggregate)

    added, aggregate_added = execute_write(write, warehouse)
    for run, n in zip(planned, added):
        report.runs_added += n is not None
        report.predictions_added += n or 0
        report.duplicates += len(run.predictions) - (n or 0)
    report.runs_added += sum(aggregate_added)
    return report
