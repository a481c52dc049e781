"""`medlb import reported FILE.csv`: scores published in papers or model cards (migration 010, kind 'reported').

The CSV has a header row and one row per (model, task) score:

    model,task,accuracy,shots,protocol,citation,n
    GPT-4-base,medqa_4options,86.1%,5,"5-shot, Medprompt-free",Nori et al. 2023 arXiv:2303.13375,1273

model, task, accuracy, shots, protocol and citation are mandatory, n is optional. `task` is a task id
(`medlb eval --tasks` names them); `accuracy` is a proportion (0.861) or a percentage with its sign
(86.1%), never a bare number above 1, which would be ambiguous; `shots` is a whole number. Rows with the
same model, shots, protocol and citation make one reported run. No question is known, so these runs never
enter a paired test; with n, each accuracy gets its Wilson interval (n_correct = accuracy x n, rounded,
since papers print rounded accuracies).

All or nothing: every row is checked first, every bad one is listed with its file, row and field, and
only a file without any is written, in one transaction.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from pipeline.importers import summaries
from warehouse.errors import MedlbError
from warehouse.imports import ImportReport, SummaryRun, SummaryScore
from warehouse.records import ModelInfo, version_id_for

KIND = "reported"
REQUIRED = ("model", "task", "accuracy", "shots", "protocol", "citation")
OPTIONAL = ("n",)
MAX_LISTED = 20  # errors listed in one message; the count says how many more
REVISION = "unrecorded"  # a paper rarely names the weights' commit: its version is the reported one


class ReportedFormatError(MedlbError, ValueError):
    """The CSV of reported scores has bad rows; the message lists each with its file, row and field."""


@dataclass(frozen=True)
class ReportedRow:
    row: int  # the line in the file (the header is row 1)
    model: str
    task: str
    accuracy: float
    shots: int
    protocol: str
    citation: str
    n: int | None


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")  # a spreadsheet's UTF-8 export starts with a BOM
    except FileNotFoundError:
        raise ReportedFormatError(f"{path}: no such file") from None
    except OSError as error:
        raise ReportedFormatError(f"{path}: cannot be read ({error})") from None
    except UnicodeDecodeError as error:
        raise ReportedFormatError(f"{path}: not UTF-8 ({error}); save the CSV as UTF-8") from None


def check_header(path: Path, header: list[str] | None) -> None:
    if not header:
        raise ReportedFormatError(f"{path}: empty; the first row names the columns: {', '.join(REQUIRED + OPTIONAL)}")
    names = [name.strip() for name in header]
    missing = [name for name in REQUIRED if name not in names]
    unknown = [name for name in names if name not in REQUIRED + OPTIONAL]
    repeated = sorted({name for name in names if names.count(name) > 1})
    problems = [f"missing column {name!r}" for name in missing]
    problems += [f"column {name!r} is not one medlb reads ({', '.join(REQUIRED + OPTIONAL)})" for name in unknown]
    problems += [f"column {name!r} appears twice" for name in repeated]
    if problems:
        raise ReportedFormatError(f"{path}: row 1 (header): " + "; ".join(problems))


def parse_accuracy(text: str) -> float:
    percent = text.endswith("%")
    value = float(text.removesuffix("%").strip())  # ValueError: not a number
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if percent:
        value /= 100
    elif value > 1:
        raise ValueError(
            f"{text} is above 1: write a proportion ({value / 100:g}) or a percentage with its sign ({text}%)"
        )
    if not 0 <= value <= 1:
        raise ValueError(f"{text} is outside 0..1 (0%..100%)")
    return value


def parse_whole(text: str, least: int) -> int:
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"must be a whole number, found {text!r}")
    value = int(text)
    if value < least:
        raise ValueError(f"must be at least {least}, found {value}")
    return value


def parse_row(number: int, record: dict[str, str], tasks: tuple[str, ...]) -> tuple[ReportedRow | None, list[str]]:
    """The row, or None with what is wrong in it: one problem per field, each naming the field."""
    values = {key.strip(): (value or "").strip() for key, value in record.items() if key is not None}
    problems = []
    if None in record:  # more cells than the header has columns
        problems.append(f"row {number}: {len(record[None])} cell(s) beyond the header's columns")
    for name in REQUIRED:
        if not values.get(name):
            problems.append(f"row {number}: field {name!r}: empty; every row needs a {name}")
    parsed = {}
    if values.get("task") and values["task"] not in tasks:
        problems.append(f"row {number}: field 'task': {values['task']!r} is not an accuracy task ({', '.join(tasks)})")
    for name, parse in (
        ("accuracy", parse_accuracy),
        ("shots", lambda t: parse_whole(t, 0)),
        ("n", lambda t: parse_whole(t, 1)),
    ):
        if values.get(name):
            try:
                parsed[name] = parse(values[name])
            except ValueError as error:
                problems.append(f"row {number}: field {name!r}: {error}")
    if problems:
        return None, problems
    return (
        ReportedRow(
            number,
            values["model"],
            values["task"],
            parsed["accuracy"],
            parsed["shots"],
            values["protocol"],
            values["citation"],
            parsed.get("n"),
        ),
        [],
    )


def read_rows(path: Path) -> list[ReportedRow]:
    """Every row checked; raises ReportedFormatError listing all bad rows (and repeated scores)."""
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""))
    check_header(path, reader.fieldnames)
    tasks = summaries.scored_tasks()
    rows, problems = [], []
    first_at: dict[tuple, int] = {}
    try:
        for record in reader:
            if not any((value or "").strip() for key, value in record.items() if key is not None):
                continue  # a blank line
            row, found = parse_row(reader.line_num, record, tasks)
            problems += found
            if row is None:
                continue
            key = (row.model, row.task, row.shots, row.protocol, row.citation)
            if key in first_at:
                problems.append(
                    f"row {row.row}: field 'task': {row.task} of {row.model} again (first at row {first_at[key]})"
                )
                continue
            first_at[key] = row.row
            rows.append(row)
    except csv.Error as error:
        problems.append(f"row {reader.line_num}: not CSV ({error})")
    if problems:
        listed = "\n  ".join(f"{path}: {p}" for p in problems[:MAX_LISTED])
        more = f"\n  ... and {len(problems) - MAX_LISTED} more" if len(problems) > MAX_LISTED else ""
        raise ReportedFormatError(
            f"{path}: {len(problems)} problem(s), nothing imported; fix them and import again:\n  {listed}{more}"
        )
    if not rows:
        raise ReportedFormatError(f"{path}: no rows below the header; nothing to import")
    return rows


def plan(path: Path) -> list[tuple[ModelInfo, SummaryRun]]:
    """One reported run per (model, shots, protocol, citation), in the file's order."""
    rows = read_rows(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    groups: dict[tuple, list[ReportedRow]] = defaultdict(list)
    for row in rows:
        groups[(row.model, row.shots, row.protocol, row.citation)].append(row)
    planned = []
    for (model, shots, protocol, citation), group in groups.items():
        info = ModelInfo(name=model, revision=REVISION, label="reported", dtype="unknown", source="imported")
        version_id = version_id_for(info.name, info.revision, info.variant)
        scores = tuple(
            SummaryScore(
                r.task,
                r.accuracy,
                r.n,
                None if r.n is None else round(r.accuracy * r.n),
                None if r.n is None else "csv",
            )
            for r in group
        )
        run = SummaryRun(
            # The scores, not the file's bytes: the same reported numbers from another file add nothing.
            run_id=summaries.run_id(KIND, version_id, shots, protocol, citation, [vars(s) for s in scores]),
            kind=KIND,
            version_id=version_id,
            num_fewshot=shots,
            protocol=protocol,
            citation=citation,
            source_file=path.name,
            source_sha256=sha,
            scores=scores,
            settings={"rows": [r.row for r in group]},
        )
        planned.append((info, run))
    return planned


def import_reported(warehouse: str | Path | None, path: Path) -> ImportReport:
    """Check the whole CSV, then write its reported runs in one transaction (nothing when any row is bad)."""
    path = Path(path)
    planned = plan(path)
    added = summaries.write_summary_runs(warehouse, planned)
    report = ImportReport(runs_added=sum(added), run_ids=[run.run_id for _, run in planned])
    report.duplicates = len(added) - sum(added)
    report.warnings.append(
        f"{path.name}: {sum(len(run.scores) for _, run in planned)} reported score(s) of {len(planned)} run(s): "
        "shown with a 'reported' badge, their shots, protocol and citation, and kept out of every paired test"
    )
    return report
