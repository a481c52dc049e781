"""K-QA's diagnoses as ICD-10-CM chapters, read from the vendored table data/kqa_icd10.csv (written offline
by pipeline.judging.make_icd10_table, whose docstring gives the matching rule and its provenance).

A question's slice is its diagnosis (Question.subject, K-QA's ICD_10_diag) or that diagnosis's chapter; a
question without a diagnosis is in NO_DIAGNOSIS, a diagnosis the table could not map in UNMAPPED.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

TABLE = Path(__file__).parent / "data" / "kqa_icd10.csv"
COLUMNS = ("diagnosis", "code", "chapter", "chapter_title")
UNMAPPED = "unmapped"
NO_DIAGNOSIS = "(no diagnosis recorded)"


@functools.cache
def table() -> dict[str, dict[str, str]]:
    """diagnosis -> its row (code, chapter number, chapter title; "unmapped" where none matched)."""
    with open(TABLE, encoding="utf-8", newline="") as rows:
        reader = csv.DictReader(line for line in rows if not line.startswith("#"))
        return {row["diagnosis"]: row for row in reader}


def chapter_of(diagnosis: str | None) -> str:
    """The slice label of a diagnosis's chapter: "<number>. <title>", UNMAPPED or NO_DIAGNOSIS."""
    if not diagnosis or not diagnosis.strip():
        return NO_DIAGNOSIS
    row = table().get(diagnosis)
    if row is None or row["chapter"] == UNMAPPED:
        return UNMAPPED
    return f"{row['chapter']}. {row['chapter_title']}"


def code_of(diagnosis: str | None) -> str | None:
    row = table().get(diagnosis or "")
    return row["code"] if row else None
