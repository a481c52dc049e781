"""Strict readers for the source formats: every defect becomes a BenchmarkFormatError naming path, row, field.

Files are read whole (the largest is ~2.6 MB) and decoded as strict UTF-8, so a corrupted byte stops
the load instead of turning into a replacement character inside a question.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Mapping

from pipeline.benchmarks.errors import BenchmarkFormatError

ENCODING = "<utf-8>"
JSON_SYNTAX = "<json>"
CSV_SYNTAX = "<csv>"


def read_text(path: str | Path) -> str:
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start)
        raise BenchmarkFormatError(
            path, line, ENCODING,
            f"invalid UTF-8 byte 0x{data[error.start]:02x} at byte offset {error.start}",
            "the file must be UTF-8: re-copy it byte for byte from the source named in PROVENANCE.md",
        ) from None


def read_json(path: str | Path) -> Any:
    """One JSON document (PubMedQA, HEAD-QA, FrenchMedMCQA)."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise BenchmarkFormatError(
            path, error.lineno - 1, JSON_SYNTAX, f"invalid JSON at column {error.colno}: {error.msg}"
        ) from None


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
        if not isinstance(record, dict):
            raise BenchmarkFormatError(path, line_no, JSON_SYNTAX, f"expected a JSON object, found {type(record).__name__}")
        records.append((line_no, record))
    return records


def read_csv(path: str | Path, columns: int) -> list[list[str]]:
    """Headerless CSV records (MMLU). Quoted fields keep embedded newlines, so rows are records, not lines."""
    # newline="" hands line endings to the csv module, which handles CRLF files and quoted newlines.
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    rows = []
    try:
        for row in reader:
            if len(row) != columns:
                raise BenchmarkFormatError(
                    path, len(rows), CSV_SYNTAX, f"expected {columns} columns, found {len(row)}",
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
    return value


def optional_text(record: Mapping[str, Any], name: str, path: str | Path, row: int | str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BenchmarkFormatError(path, row, name, f"expected a string or null, found {type(value).__name__}")
    return value


def require(record: Mapping[str, Any], name: str, kind: type | tuple[type, ...], path: str | Path, row: int | str) -> Any:
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
    return options


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)
