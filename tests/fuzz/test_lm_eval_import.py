"""`medlb import lm-eval` (pipeline.importers.lm_eval.import_lm_eval) on malformed copies of a real lm-eval output.

The output of tests/fixtures/lm_eval/ (9 tasks, 36 samples, SmolLM2) is copied; one example changes the
fields of the results file the importer reads (config, n-shot, configs.<task>, date, times, versions), one
line of a samples file (doc_id, doc, resps, arguments, target, filter), or a file's bytes, or removes a
samples file or adds an orphan one. The property:
- the import either refuses the results file with a one-line reason that names the file (and where the
  defect is in a samples line, `file:line: field`), and then the warehouse file is byte for byte what it
  was; or
- it imports, and then the warehouse holds exactly the predictions and runs the report counts, each with
  finite probabilities summing to 1.
Any exception out of import_lm_eval that is not a MedlbError is a failure (a traceback for the user).
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from pipeline.importers.lm_eval import import_lm_eval
from tests.fuzz.hostile import ci_settings, damaged_bytes, dumps, error_problems, mutated, sha256_of
from tests.helpers import ROOT, query
from warehouse.errors import MedlbError

FIXTURE = next((ROOT / "tests" / "fixtures" / "lm_eval" / "output").iterdir())
RESULTS = next(FIXTURE.glob("results_*.json")).name
SAMPLES = sorted(p.name for p in FIXTURE.glob("samples_*.jsonl"))
STAMP = RESULTS.removeprefix("results_").removesuffix(".json")
# what the importer reads of a results file; the rest is copied into the run's settings as it is
READ_TOP = {"config", "n-shot", "configs", "date", "total_evaluation_time_seconds", "pretty_env_info"}
READ_TOP |= {"model_name", "lm_eval_version", "transformers_version", "results"}
READ_CONFIG = {"num_fewshot", "output_type", "doc_to_choice", "doc_to_text", "description"}
LINE = re.compile(r"\.jsonl:\d+: ")  # a samples line is named file:line (and its field, where one is at fault)


def results_focus(path: tuple) -> bool:
    if path[0] not in READ_TOP:
        return False
    if path[0] == "configs":
        return len(path) <= 2 or path[2] in READ_CONFIG
    return len(path) <= 3


@dataclass(frozen=True)
class ImportCase:
    change: str
    files: dict[str, bytes | None]  # name -> new bytes (None: the file is removed)

    def __repr__(self) -> str:
        return f"ImportCase({self.change})"


def _lines(name: str) -> list[str]:
    return (FIXTURE / name).read_text(encoding="utf-8").splitlines()


@st.composite
def import_cases(draw) -> ImportCase:
    kind = draw(st.sampled_from(["results", "sample", "sample", "sample", "bytes", "remove", "orphan"]))
    if kind == "results":
        results = json.loads((FIXTURE / RESULTS).read_text(encoding="utf-8"))
        changed, done = draw(mutated(results, focus=results_focus))
        return ImportCase(f"{RESULTS}: {'; '.join(done)}", {RESULTS: dumps(changed, indent=2).encode()})
    name = draw(st.sampled_from([RESULTS, *SAMPLES] if kind == "bytes" else SAMPLES))
    if kind == "bytes":
        data, done = draw(damaged_bytes((FIXTURE / name).read_bytes()))
        return ImportCase(f"{name}: {done}", {name: data})
    if kind == "remove":
        return ImportCase(f"{name}: removed", {name: None})
    if kind == "orphan":
        orphan = f"samples_{draw(st.sampled_from(['medqa_4options_x', 'headqa_en', 'nonexistent']))}_{STAMP}.jsonl"
        return ImportCase(f"{orphan}: added", {orphan: (FIXTURE / name).read_bytes()})
    lines = _lines(name)
    line = draw(st.integers(0, len(lines) - 1))
    record, done = draw(mutated(json.loads(lines[line])))
    lines[line] = dumps(record)
    return ImportCase(f"{name}:{line + 1}: {'; '.join(done)}", {name: ("\n".join(lines) + "\n").encode()})


@contextmanager
def output_copy(case: ImportCase) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="fuzz-lm-eval-"))
    out = folder / FIXTURE.name
    shutil.copytree(FIXTURE, out)
    for name, data in case.files.items():
        if data is None:
            (out / name).unlink()
        else:
            (out / name).write_bytes(data)
    try:
        yield out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def check(case: ImportCase, template: Path) -> list[str]:
    with output_copy(case) as out:
        warehouse = out.parent / "w.duckdb"
        shutil.copy(template, warehouse)
        before = sha256_of(warehouse)
        try:
            report = import_lm_eval(warehouse, out)
        except Exception as error:
            problems = error_problems(error)
            if isinstance(error, MedlbError) and sha256_of(warehouse) != before:
                problems.append("the import failed, yet the warehouse file changed")
            return problems
        if report.refused:
            return refusal_problems(report.refused, out) + (
                ["refused, yet the warehouse file changed"] if sha256_of(warehouse) != before else []
            )
        return stored_problems(warehouse, report)


def refusal_problems(refused: list[tuple[Path, str]], out: Path) -> list[str]:
    problems = []
    for _, reason in refused:
        problems += error_problems(MedlbError(reason), str(out))
        if "field" in reason and ".jsonl" in reason and not LINE.search(reason):
            problems.append(f"a samples field is refused without its file:line: {reason[:300]!r}")
    return problems


def stored_problems(warehouse: Path, report) -> list[str]:
    """After an import that refused nothing: the warehouse holds what the report says, all of it sound."""
    problems = []
    [(runs,)] = query(warehouse, "SELECT count(*) FROM runs")
    rows = query(warehouse, "SELECT question_id, probs, correct, pred, golds FROM predictions")
    if runs != report.runs_added or len(rows) != report.predictions_added:
        problems.append(
            f"report says {report.runs_added} runs, {report.predictions_added} predictions; stored {runs}, {len(rows)}"
        )
    for question_id, probs, correct, pred, golds in rows:
        if not probs or not all(math.isfinite(p) for p in probs) or abs(sum(probs) - 1) > 1e-6:
            problems.append(f"{question_id}: probabilities {probs}")
        if correct != ([pred] == golds):
            problems.append(f"{question_id}: correct={correct} for pred {pred}, golds {golds}")
    return problems


def test_the_unchanged_output_imports_whole(empty_path):
    with output_copy(ImportCase("none", {})) as out:
        warehouse = out.parent / "w.duckdb"
        shutil.copy(empty_path, warehouse)
        report = import_lm_eval(warehouse, out)
        assert (report.runs_added, report.predictions_added, report.refused) == (1, 36, [])
        assert stored_problems(warehouse, report) == []


@ci_settings("lm_eval")
@given(case=import_cases())
def test_a_malformed_lm_eval_output_imports_whole_or_is_refused_whole(case, empty_path):
    assert check(case, empty_path) == []
