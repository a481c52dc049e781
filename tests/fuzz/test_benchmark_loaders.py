"""Every benchmark loader on malformed copies of its vendored files, then the questions' write as `medlb eval`
makes it (pipeline.run.open_run: register_tasks and register_questions in one execute_write).

A small data folder in the vendored layout is built from the first records of each real file; one example
mutates one file's records (wrong types, missing fields, duplicated records, hostile strings: bad
surrogates, oversized text, non-ASCII digits) or damages its bytes (bad UTF-8, truncation, a repeated or
dropped line), points pipeline.benchmarks.paths.DATA_DIR at the folder and loads every task of the family.
The property:
- a load either succeeds, and then the write stores exactly the questions loaded (none dropped), or
- it raises a BenchmarkFormatError on one line naming the file, row and field, and the warehouse file is
  byte for byte what it was. Any other exception (a traceback for the user) is a failure.
speed/fuzz_inputs.py runs the same property at a large budget.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline import benchmarks
from pipeline.benchmarks import headqa, paths
from pipeline.benchmarks.errors import BenchmarkFormatError, NoFewshotSplit
from tests.fuzz.hostile import ci_settings, damaged_bytes, dumps, error_problems, mutated, sha256_of
from tests.helpers import query
from warehouse import writer
from warehouse.db import execute_write

KEEP = 3  # records of each vendored file in the small copy
VENDORED = paths.DATA_DIR  # the real files (DATA_DIR itself is pointed elsewhere per case)


# ---------------------------------------------------------------------- the small vendored copy


@dataclass(frozen=True)
class SourceFile:
    relative: str  # under paths.DATA_DIR
    kind: str  # jsonl | json | csv
    records: Any  # the parsed content: list of JSON objects (jsonl), a JSON document, or CSV rows


def _jsonl(relative: str) -> SourceFile:
    lines = (VENDORED / relative).read_text(encoding="utf-8").split("\n")[:KEEP]
    return SourceFile(relative, "jsonl", [json.loads(line) for line in lines])


def _csv(relative: str) -> SourceFile:
    text = (VENDORED / relative).read_text(encoding="utf-8")
    return SourceFile(relative, "csv", list(csv.reader(io.StringIO(text, newline="")))[:KEEP])


def _json(relative: str, cut: Callable[[Any], Any]) -> SourceFile:
    return SourceFile(relative, "json", cut(json.loads((VENDORED / relative).read_text(encoding="utf-8"))))


def _first_items(document: dict, keys: list[str]) -> dict:
    return {key: document[key] for key in keys}


def _headqa(relative: str) -> SourceFile:
    def cut(document):
        name, exam = next(iter(document["exams"].items()))
        return {**document, "exams": {name: {**exam, "data": exam["data"][:KEEP]}}}

    return _json(relative, cut)


def _pubmedqa() -> list[SourceFile]:
    test = json.loads((VENDORED / "pubmedqa/test_set.json").read_text(encoding="utf-8"))
    pqal = json.loads((VENDORED / "pubmedqa/ori_pqal.json").read_text(encoding="utf-8"))
    pmids = list(test)[:KEEP]
    others = [pmid for pmid in pqal if pmid not in test][:2]
    return [
        _json("pubmedqa/test_set.json", lambda d: _first_items(d, pmids)),
        _json("pubmedqa/test_ground_truth.json", lambda d: _first_items(d, pmids)),
        _json("pubmedqa/ori_pqal.json", lambda d: _first_items(d, pmids + others)),
    ]


# family -> (its tasks, the files they read)
FAMILIES: dict[str, tuple[tuple[str, ...], Callable[[], list[SourceFile]]]] = {
    "medqa": (
        ("medqa_4options",),
        lambda: [_jsonl("medqa/phrases_no_exclude_test.jsonl"), _jsonl("medqa/phrases_no_exclude_dev.jsonl")],
    ),
    "medmcqa": (("medmcqa",), lambda: [_jsonl("medmcqa/dev.json")]),
    "pubmedqa": (("pubmedqa",), _pubmedqa),
    "mmlu": (("mmlu_anatomy",), lambda: [_csv("mmlu/test/anatomy_test.csv"), _csv("mmlu/dev/anatomy_dev.csv")]),
    "frenchmedmcqa": (
        ("frenchmedmcqa",),
        lambda: [
            _json("frenchmedmcqa/test.json", lambda d: d[:KEEP]),
            _json("frenchmedmcqa/dev.json", lambda d: d[:KEEP]),
        ],
    ),
    "headqa": (
        ("headqa_es", "headqa_en"),
        lambda: [
            _headqa("headqa/es/test_HEAD.json"),
            _headqa("headqa/es/dev_HEAD.json"),
            _headqa("headqa/en/test_HEAD_EN.json"),
            _headqa("headqa/en/dev_HEAD_EN.json"),
        ],
    ),
}
_SOURCES: dict[str, list[SourceFile]] = {}


def sources(family: str) -> list[SourceFile]:
    if family not in _SOURCES:
        _SOURCES[family] = FAMILIES[family][1]()
    return _SOURCES[family]


def file_bytes(kind: str, records: Any) -> bytes:
    if kind == "jsonl":
        return "".join(dumps(record) + "\n" for record in records).encode("utf-8")
    if kind == "json":
        return (dumps(records, indent=1) + "\n").encode("utf-8")  # one key per line: a repeated line repeats a key
    out = io.StringIO(newline="")
    csv.writer(out).writerows(records)
    # a lone surrogate has no UTF-8 form: it reaches the file as the bytes a careless encoder writes
    return out.getvalue().encode("utf-8", errors="surrogatepass")


# ---------------------------------------------------------------------- one case


@dataclass(frozen=True)
class LoaderCase:
    family: str
    target: str  # the file changed
    change: str  # what was done to it
    files: dict[str, bytes]  # every file of the family, as written

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return f"LoaderCase({self.family}, {self.target}: {self.change})"


@st.composite
def loader_cases(draw) -> LoaderCase:
    family = draw(st.sampled_from(sorted(FAMILIES)))
    files = {f.relative: f for f in sources(family)}
    target = files[draw(st.sampled_from(sorted(files)))]
    written = {relative: file_bytes(f.kind, f.records) for relative, f in files.items()}
    if draw(st.integers(0, 3)) == 0:
        written[target.relative], change = draw(damaged_bytes(written[target.relative]))
    else:
        records, done = draw(mutated(target.records))
        if target.kind == "csv" and any(not isinstance(row, list) for row in records):
            records = [row if isinstance(row, list) else [row] for row in records]
        written[target.relative], change = file_bytes(target.kind, records), "; ".join(done)
    return LoaderCase(family, target.relative, change, written)


@contextmanager
def data_folder(case: LoaderCase) -> Iterator[Path]:
    """The case's files in a temporary folder that paths.DATA_DIR points at, with the loaders' caches empty."""
    root = Path(tempfile.mkdtemp(prefix="fuzz-data-"))
    for relative, data in case.files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(data)
    caches = (benchmarks._load, benchmarks._fewshot, benchmarks._file_sha256, headqa.parsed_test_file)
    for cached in caches:
        cached.cache_clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paths, "DATA_DIR", root)
            yield root
    finally:
        for cached in caches:
            cached.cache_clear()
        shutil.rmtree(root, ignore_errors=True)


def load_and_write(task: str, warehouse: Path) -> int:
    """What `medlb eval` does with a task's files before it scores: load, then register task and questions."""
    questions = benchmarks.load_questions(task)
    try:
        pool = benchmarks.fewshot_pool(task)
    except NoFewshotSplit:  # MedMCQA: its only vendored split is the one it evaluates
        pool = []
    info = benchmarks.task_info(task)

    def write(con):
        writer.register_tasks(con, [(info, len(questions))])
        return writer.register_questions(con, questions + pool)

    execute_write(write, warehouse)
    return len(questions) + len(pool)


def check(case: LoaderCase, template: Path) -> list[str]:
    """The property's violations for one case (an empty list: it holds), on a copy of the `template` warehouse."""
    with fresh_warehouse(template) as warehouse, data_folder(case):
        return violations_in(case, warehouse)


def violations_in(case: LoaderCase, warehouse: Path) -> list[str]:
    violations = []
    for task in FAMILIES[case.family][0]:
        before = sha256_of(warehouse)
        stored = query(warehouse, "SELECT count(*) FROM questions WHERE task = ?", [task])[0][0]
        try:
            loaded = load_and_write(task, warehouse)
        except Exception as error:
            # a BenchmarkFormatError names file, row and field; anything else is a traceback for the user
            if isinstance(error, BenchmarkFormatError):
                violations += [f"{task}: {p}" for p in error_problems(error, error.path, f"row {error.row}", "field")]
            else:
                violations.append(f"{task}: not a BenchmarkFormatError: {type(error).__name__}: {error!s:.300}")
            if sha256_of(warehouse) != before:
                violations.append(f"{task}: refused, yet the warehouse file changed")
            continue
        now = query(warehouse, "SELECT count(*) FROM questions WHERE task = ?", [task])[0][0]
        if now - stored != loaded:
            violations.append(f"{task}: loaded {loaded} questions, the warehouse stored {now - stored}")
    return violations


@contextmanager
def fresh_warehouse(template: Path) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-wh-"))
    try:
        shutil.copy(template, folder / "w.duckdb")
        yield folder / "w.duckdb"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_the_unchanged_small_copies_load(empty_path):
    """The fuzz starts from files that load: each family's small copy as it is gives its first records."""
    for family in FAMILIES:
        written = {f.relative: file_bytes(f.kind, f.records) for f in sources(family)}
        with fresh_warehouse(empty_path) as warehouse, data_folder(LoaderCase(family, "-", "none", written)) as root:
            assert violations_in(LoaderCase(family, "-", "none", written), warehouse) == []
            counted = query(warehouse, "SELECT count(*) FROM questions")[0][0]
        assert counted >= KEEP * len(FAMILIES[family][0]), family
        assert not root.exists()


@ci_settings("loaders")
@given(case=loader_cases())
def test_a_malformed_benchmark_file_loads_or_is_refused_by_file_row_and_field(case, empty_path):
    assert check(case, empty_path) == []
