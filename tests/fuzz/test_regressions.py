"""The inputs the fuzz suite found that broke a loader or an importer, each pinned as a plain test (before the
fixes each gave a traceback: UnicodeEncodeError, ValueError, RecursionError, OverflowError, polars'
OverflowError or DuckDB's ConversionException)."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.benchmarks import frenchmedmcqa, headqa, medqa
from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.bundles import BundleError, read_manifest
from pipeline.importers.lm_eval import import_lm_eval
from tests.fuzz.hostile import sha256_of
from tests.fuzz.test_lm_eval_import import FIXTURE, RESULTS, ImportCase
from tests.fuzz.test_lm_eval_import import check as import_check
from tests.helpers import ROOT

MEDQA = json.loads((ROOT / "pipeline/benchmarks/data/medqa/phrases_no_exclude_test.jsonl").read_text().split("\n")[0])
FRENCH = json.loads((ROOT / "pipeline/benchmarks/data/frenchmedmcqa/test.json").read_text())[0]
HEADQA_ITEM = {"qid": "1", "qtext": "q?", "ra": "1", "answers": [{"aid": 1, "atext": "x"}, {"aid": 2, "atext": "y"}]}


def refused(parse, path, text: str) -> BenchmarkFormatError:
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BenchmarkFormatError) as caught:
        parse(path)
    assert "\n" not in str(caught.value) and str(path) in str(caught.value)
    return caught.value


def test_a_lone_surrogate_escape_in_a_question_is_refused_by_field(tmp_path):
    error = refused(medqa.parse_file, tmp_path / "t.jsonl", json.dumps({**MEDQA, "question": "a\ud800b"}) + "\n")
    assert (error.row, error.field) == (0, "question")


def test_a_number_too_long_to_convert_is_refused(tmp_path):
    error = refused(medqa.parse_file, tmp_path / "t.jsonl", '{"question": 1' + "0" * 5000 + "}\n")
    assert error.row == 0 and "4300" in error.problem


def test_nesting_deeper_than_the_stack_is_refused(tmp_path):
    error = refused(frenchmedmcqa.parse_file, tmp_path / "t.json", "[" * 100_000 + "]" * 100_000)
    assert error.row == 0


def test_a_non_ascii_digit_answer_id_is_refused(tmp_path):
    document = {"exams": {"E": {"category": "c", "data": [{**HEADQA_ITEM, "ra": "²"}]}}}
    error = refused(lambda p: headqa.parse_file(p, "headqa_en"), tmp_path / "h.json", json.dumps(document))
    assert (error.row, error.field) == ("E-1", "ra")


@pytest.mark.parametrize("subject", [10**40, {"": 1}, ["a"]])
def test_a_subject_that_is_not_text_is_refused(tmp_path, subject):
    error = refused(frenchmedmcqa.parse_file, tmp_path / "t.json", json.dumps([{**FRENCH, "subject_name": subject}]))
    assert (error.row, error.field) == (0, "subject_name")
    error = refused(medqa.parse_file, tmp_path / "t.jsonl", json.dumps({**MEDQA, "meta_info": subject}) + "\n")
    assert (error.row, error.field) == (0, "meta_info")


def edited_sample(name_part: str, change) -> ImportCase:
    name = next(p.name for p in FIXTURE.glob(f"samples_{name_part}_*.jsonl"))
    lines = (FIXTURE / name).read_text(encoding="utf-8").splitlines()
    lines[1] = change(lines[1])
    return ImportCase(name, {name: ("\n".join(lines) + "\n").encode()})


def with_field(path: tuple, value):
    def change(line: str) -> str:
        record = json.loads(line)
        target = record
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return json.dumps(record)

    return change


CASES = {
    "surrogate in a samples doc": edited_sample("mmlu_anatomy", with_field(("doc", "question"), "a\ud800b")),
    "resps of 10**400": edited_sample("mmlu_anatomy", with_field(("resps",), [[[10**400, "True"]]] * 4)),
    "a 5000-digit doc_id": edited_sample(
        "pubmedqa", lambda line: line.replace('"doc_id": 1', '"doc_id": 1' + "0" * 5000)
    ),
    "a superscript target": edited_sample("medqa_4options", with_field(("target",), "²")),
    "a number as the question": edited_sample("pubmedqa", with_field(("doc", "QUESTION"), 1)),
    "a number as an option": edited_sample("mmlu_anatomy", with_field(("doc", "choices", 1), 2.5)),
}


@pytest.mark.parametrize("name", CASES)
def test_a_malformed_samples_line_is_refused_or_imported_never_a_traceback(name, empty_path):
    assert import_check(CASES[name], empty_path) == []


def test_a_samples_doc_with_a_lone_surrogate_names_file_line_and_field(tmp_path):
    case = CASES["surrogate in a samples doc"]
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    for name, data in case.files.items():
        (out / name).write_bytes(data)
    [(_, reason)] = import_lm_eval(tmp_path / "w.duckdb", out).refused
    assert ".jsonl:2: field 'doc.question'" in reason and "surrogate" in reason


def test_a_results_file_with_a_lone_surrogate_is_refused_and_writes_nothing(tmp_path, empty_path):
    results = json.loads((FIXTURE / RESULTS).read_text(encoding="utf-8"))
    results["results"]["medqa_4options"]["acc_norm,none"] = "\udfff"
    out = tmp_path / "out"
    shutil.copytree(FIXTURE, out)
    (out / RESULTS).write_text(json.dumps(results), encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    shutil.copy(empty_path, warehouse)
    before = sha256_of(warehouse)
    [(_, reason)] = import_lm_eval(warehouse, out).refused
    assert "field 'results.medqa_4options.acc_norm,none'" in reason and sha256_of(warehouse) == before


def test_a_manifest_with_a_number_too_long_to_convert_is_a_bundle_error(tmp_path):
    (tmp_path / "manifest.json").write_text('{"format_version": 1' + "0" * 5000 + "}", encoding="utf-8")
    with pytest.raises(BundleError, match="not valid JSON"):
        read_manifest(tmp_path)
