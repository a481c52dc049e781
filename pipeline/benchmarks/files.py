"""Strict readers for the source formats: every defect becomes a BenchmarkFormatError naming path, row, field.

Files are read whole (the largest is ~2.6 MB) and decoded as strict UTF-8, so a corrupted byte stops
the load instead of turning into a replacement character inside a question.

JSON can spell what UTF-8 cannot hold: a lone surrogate escape ("\\ud800") decodes to a string no
UTF-8 encoder (nor the warehouse) takes, so such a string anywhere in a record is refused at read time,
as are numbers too long to convert and nesting too deep to parse.

Two limits protect the warehouse, which keys questions by id and stores their text:
  - a source id may appear once per file (a second question with the same id would be dropped on write);
  - one text field (a question, an option, an id) may hold at most MAX_TEXT_CHARS characters, far above
    the longest in any vendored file (a MedQA vignette of ~4 500), so a runaway field is a broken file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pipeline.benchmarks.errors import BenchmarkFormatError
from warehouse.records import Question

ENCODING = "<utf-8>"
JSON_SYNTAX = "<json>"
CSV_SYNTAX = "<csv>"
DUPLICATE_KEY = "<duplicate key>"
MAX_TEXT_CHARS = 100_000
SURROGATE = re.compile("[\ud800-\udfff]")


def read_text(path: str | Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start)
        raise BenchmarkFormatError(
            path,
            line,
            ENCODING,
            f"invalid UTF-8 byte 0x{data[error.start]:02x} at byte offset {error.start}",
            "the file must be UTF-8: re-copy it byte for byte from the source named in PROVENANCE.md",
        ) from None


def read_json(path: str | Path) -> Any:
    """One JSON document (PubMedQA, HEAD-QA, FrenchMedMCQA)."""
    text = read_text(path)
    try:
        document = json.loads(text, object_pairs_hook=lambda pairs: _object_without_repeats(pairs, path))
    except json.JSONDecodeError as error:
        raise BenchmarkFormatError(
            path, error.lineno - 1, JSON_SYNTAX, f"invalid JSON at column {error.colno}: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:  # a number of >4300 digits, nesting deeper than Python's stack
        raise BenchmarkFormatError(path, 0, JSON_SYNTAX, f"unparsable JSON: {error}") from None
    items = (
        document.items() if isinstance(document, dict) else enumerate(document if isinstance(document, list) else [])
    )
    for row, item in items:
        refuse_surrogates(item, path, row)
    return document


def _object_without_repeats(pairs: list[tuple[str, Any]], path: str | Path) -> dict:
    """json.loads keeps the last of repeated keys; a repeated PMID or exam would silently lose a question."""
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise BenchmarkFormatError(
                path,
                key,
                DUPLICATE_KEY,
                f"key {key!r} appears twice in one JSON object",
                "remove or rename the repeated entry (each key must be unique)",
            )
        found[key] = value
    return found


def read_jsonl(path: str | Path) -> list[tuple[int, dict]]:
    """(0-based line, object) for every non-blank line (MedQA, MedMCQA: one object per line)."""
    records = []
    for line_no, line in enumerate(read_text(path).split("\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BenchmarkFormatError(
                path, line_no, JSON_SYNTAX, f"invalid JSON at column {error.colno}: {error.msg}"
            ) from None
        except (ValueError, RecursionError) as error:  # a number of >4300 digits, nesting too deep
            raise BenchmarkFormatError(path, line_no, JSON_SYNTAX, f"unparsable JSON: {error}") from None
        if not isinstance(record, dict):
            raise BenchmarkFormatError(
                path, line_no, JSON_SYNTAX, f"expected a JSON object, found {type(record).__name__}"
            )
        refuse_surrogates(record, path, line_no)
        records.append((line_no, record))
    return records


def refuse_surrogates(value: Any, path: str | Path, row: int | str) -> None:
    """Refuse a string (key or value) of one record that holds a lone surrogate, naming the field it is in."""
    where = surrogate_at(value)
    if where is not None:
        raise BenchmarkFormatError(
            path,
            row,
            where or ENCODING,
            "a string holds a lone surrogate escape (\\ud800-\\udfff), which is not text",
            "the file was damaged or written by a faulty tool: re-copy it from the source in PROVENANCE.md",
        )


def surrogate_at(value: Any) -> str | None:
    """The field path ("doc.options[2]"; "" for the value itself) of the first string, key or value, in a
    parsed JSON value that holds a lone surrogate; None when there is none."""
    pending = [(value, "")]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str) and SURROGATE.search(item):
            return where
        if isinstance(item, dict):
            for key, child in item.items():
                name = f"{where}.{key}" if where else str(key)
                pending.extend([(key, name), (child, name)])
        elif isinstance(item, list):
            pending.extend((child, f"{where}[{index}]") for index, child in enumerate(item))
    return None


def read_csv(path: str | Path, columns: int) -> list[list[str]]:
    """Headerless CSV records (MMLU). Quoted fields keep embedded newlines, so rows are records, not lines."""
    # newline="" hands line endings to the csv module, which handles CRLF files and quoted newlines.
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    rows = []
    try:
        for row in reader:
            if len(row) != columns:
                raise BenchmarkFormatError(
                    path,
                    len(rows),
                    CSV_SYNTAX,
                    f"expected {columns} columns, found {len(row)}",
                    "quote fields that contain commas; the source files have exactly 6 columns",
                )
            rows.append(row)
    except csv.Error as error:
        raise BenchmarkFormatError(path, len(rows), CSV_SYNTAX, f"unparsable CSV: {error}") from None
    return rows


def text_field(record: Mapping[str, Any], name: str, path: str | Path, row: int | str) -> str:
    """A required, non-empty string field."""
    if name not in record or record[name] is None:
        raise BenchmarkFormatError(path, row, name, "missing required field")
    value = record[name]
    if not isinstance(value, str):
        raise BenchmarkFormatError(path, row, name, f"expected a string, found {type(value).__name__}")
    if not value.strip():
        raise BenchmarkFormatError(path, row, name, "empty text")
    return check_length(value, name, path, row)


def check_length(value: str, field: str, path: str | Path, row: int | str) -> str:
    if len(value) > MAX_TEXT_CHARS:
        raise BenchmarkFormatError(
            path,
            row,
            field,
            f"{len(value)} characters, more than the {MAX_TEXT_CHARS} one text may hold",
            "the field is probably broken (an unclosed quote?): fix the file",
        )
    return value


def optional_text(record: Mapping[str, Any], name: str, path: str | Path, row: int | str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BenchmarkFormatError(path, row, name, f"expected a string or null, found {type(value).__name__}")
    return value


def require(
    record: Mapping[str, Any], name: str, kind: type | tuple[type, ...], path: str | Path, row: int | str
) -> Any:
    """A required field of the given JSON type (bool is refused where int is asked)."""
    if name not in record or record[name] is None:
        raise BenchmarkFormatError(path, row, name, "missing required field")
    value = record[name]
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        expected = " or ".join(k.__name__ for k in _as_tuple(kind))
        raise BenchmarkFormatError(path, row, name, f"expected {expected}, found {type(value).__name__}")
    return value


def check_options(options: tuple[str, ...], field: str, path: str | Path, row: int | str) -> tuple[str, ...]:
    for index, option in enumerate(options):
        if not isinstance(option, str) or not option.strip():
            raise BenchmarkFormatError(path, row, field, f"option {index} is empty")
        check_length(option, field, path, row)
    return options


def unique_source_ids(rows: Iterable[tuple[int | str, Question]], path: str | Path, field: str) -> list[Question]:
    """The questions of (row, question) pairs, refusing a source id already seen in the file.

    Question ids are the warehouse's key: the writer keeps the first of two equal ids and drops the other.
    """
    first_row: dict[str, int | str] = {}
    questions = []
    for row, question in rows:
        if question.source_id in first_row:
            raise BenchmarkFormatError(
                path,
                row,
                field,
                f"source id {question.source_id!r} is already used by row {first_row[question.source_id]}",
                "each question needs its own id: remove the duplicate or give it a new id",
            )
        first_row[question.source_id] = row
        questions.append(question)
    return questions


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
