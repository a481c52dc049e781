"""Write pipeline/judging/data/kqa_icd10.csv: each ICD-10 diagnosis of K-QA's questions, its code and chapter.

    pip install simple-icd-10-cm==1.5.0   # the `dev` extra of pyproject.toml
    python -m pipeline.judging.make_icd10_table

K-QA stores a diagnosis's description (ICD_10_diag), not its code. A description is matched to ICD-10-CM
(the April 2026 release simple-icd-10-cm 1.5.0 ships) by exact text, ignoring case and outer spaces;
where several codes share it (a category and its leaf, e.g. L23.8 and L23.89), the most specific one, the
leaf, is kept; the chapter is the code's top ancestor. A description that matches no code (K-QA abbreviates
some, "Migraine, unsp, ...") is written as "unmapped", never guessed. The dashboard reads only the table
(pipeline.judging.icd10), so it does not need the package.
"""

from __future__ import annotations

import csv
import json
from importlib import metadata

from pipeline.benchmarks import kqa
from pipeline.benchmarks.paths import data_file
from pipeline.judging.icd10 import COLUMNS, TABLE, UNMAPPED


def diagnoses() -> list[str]:
    """Every distinct non-empty ICD_10_diag of the questions file, sorted."""
    with open(data_file(kqa.QUESTIONS_FILE), encoding="utf-8") as lines:
        found = {json.loads(line).get("ICD_10_diag") for line in lines if line.strip()}
    return sorted(d for d in found if d and d.strip())


def table_rows(descriptions: list[str]) -> list[dict]:
    import simple_icd_10_cm as cm

    by_text: dict[str, list[str]] = {}
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_chapter_or_block(code):
            by_text.setdefault(cm.get_description(code).strip().lower(), []).append(code)
    rows = []
    for description in descriptions:
        codes = by_text.get(description.strip().lower(), [])
        leaves = [c for c in codes if cm.is_leaf(c)] or codes
        if len(leaves) != 1:
            rows.append({"diagnosis": description, "code": UNMAPPED, "chapter": UNMAPPED, "chapter_title": UNMAPPED})
            continue
        chapter = cm.get_ancestors(leaves[0])[-1]
        rows.append({"diagnosis": description, "code": leaves[0], "chapter": chapter,
                     "chapter_title": cm.get_description(chapter)})  # fmt: skip
    return rows


def main() -> int:
    rows = table_rows(diagnoses())
    version = metadata.version("simple-icd-10-cm")
    with open(TABLE, "w", encoding="utf-8", newline="") as out:
        out.write(
            f"# K-QA's ICD_10_diag descriptions -> ICD-10-CM code and chapter, by exact text (case and outer spaces\n"
            f"# ignored; the leaf where several codes share a text). Made by python -m pipeline.judging.make_icd10_table\n"
            f"# with simple-icd-10-cm {version} (ICD-10-CM April 2026) from {kqa.QUESTIONS_FILE}. Do not edit.\n"
        )
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    unmapped = [r["diagnosis"] for r in rows if r["code"] == UNMAPPED]
    print(f"wrote {TABLE}: {len(rows)} diagnoses, {len(unmapped)} unmapped: {unmapped}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
