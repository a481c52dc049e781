"""The vendored K-QA diagnosis table (pipeline/judging/data/kqa_icd10.csv): every diagnosis of the questions
file once, its codes real ICD-10-CM codes of the chapter it names, and the table what the script writes today."""

from __future__ import annotations

import json

from pipeline.benchmarks import kqa
from pipeline.benchmarks.paths import data_file
from pipeline.judging import icd10


def raw_diagnoses() -> set[str]:
    lines = data_file(kqa.QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
    return {d for d in (json.loads(line).get("ICD_10_diag") for line in lines) if d}


def test_every_diagnosis_once_and_the_unmapped_named():
    table = icd10.table()
    assert set(table) == raw_diagnoses() and len(table) == 63
    assert [d for d, row in table.items() if row["code"] == icd10.UNMAPPED] == [
        "Migraine, unsp, not intractable, without status migrainosus"  # K-QA's abbreviation: matches no code
    ]
    # spot checks against ICD-10-CM itself: A09 is in chapter 1 (A00-B99), F41.8 in chapter 5 (F01-F99)
    assert table["Infectious gastroenteritis and colitis, unspecified"]["code"] == "A09"
    assert icd10.chapter_of("Other specified anxiety disorders").startswith("5. Mental, Behavioral")
    assert icd10.chapter_of(None) == icd10.chapter_of(" ") == icd10.NO_DIAGNOSIS
    assert icd10.chapter_of("a diagnosis the table never saw") == icd10.UNMAPPED


def test_the_table_is_what_the_script_writes_with_the_library():
    import simple_icd_10_cm as cm  # pinned in requirements.lock.txt, so `make venv` has it: a failure, never a skip

    from pipeline.judging.make_icd10_table import diagnoses, table_rows

    rows = {r["diagnosis"]: r for r in table_rows(diagnoses())}
    assert rows == icd10.table()
    for row in rows.values():
        if row["code"] != icd10.UNMAPPED:  # the code's description is the diagnosis, its top ancestor the chapter
            assert cm.get_description(row["code"]).lower() == row["diagnosis"].strip().lower()
            assert cm.get_ancestors(row["code"])[-1] == row["chapter"]
