"""The errors a benchmark load can raise, each saying what to do next."""

from __future__ import annotations

from pathlib import Path

from warehouse.errors import MedlbError

DEFAULT_FIX = "fix or re-copy the file from the source named in its folder's PROVENANCE.md"


class BenchmarkFormatError(MedlbError, ValueError):
    """A source file does not have the shape its loader expects.

    `row` is the 0-based record index (JSON Lines / CSV: the line or CSV record, the same number the
    question ids use), or the record's own key where the file is one JSON object (a PubMed id, a
    HEAD-QA "<exam>-<qid>"), or for errors before any record is read (bad bytes, bad JSON) the 0-based
    line of the file. `field` names the field, or a pseudo-field in angle brackets for file-level errors.
    """

    def __init__(self, path: str | Path, row: int | str | None, field: str, message: str, fix: str = DEFAULT_FIX):
        self.path = str(path)
        self.row = row
        self.field = field
        self.problem = message
        self.fix = fix
        super().__init__(f"{self.path}, row {row}, field {field!r}: {message}; {fix}")


class UnknownTask(MedlbError, ValueError):
    """A task or group name that the registry does not know."""


class NoFewshotSplit(MedlbError, ValueError):
    """A task whose few-shot split (the one lm-evaluation-harness samples from) is not available."""


class HubUnavailable(MedlbError, RuntimeError):
    """The Hugging Face hub copy of a task could not be fetched and is not in the local cache."""
