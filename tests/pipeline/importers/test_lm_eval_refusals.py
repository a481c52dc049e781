"""Bad lm-eval output is refused whole, by file, line and field, and writes nothing (issue 14 #4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.importers.lm_eval import LmEvalFormatError, import_lm_eval, samples_path
from tests.helpers import query
from warehouse.errors import MedlbError

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "lm_eval" / "output"


def results_file(out: Path) -> Path:
    return next(out.rglob("results_*.json"))


def edit_results(out: Path, change) -> None:
    path = results_file(out)
    results = json.loads(path.read_text())
    change(results)
    path.write_text(json.dumps(results))


def edit_sample(out: Path, task: str, line: int, change) -> Path:
    """Change the JSON of one line (1-based) of a task's samples file; returns the file."""
    path = samples_path(results_file(out), task)
    lines = path.read_text().splitlines()
    sample = json.loads(lines[line - 1])
    change(sample)
    lines[line - 1] = json.dumps(sample)
    path.write_text("\n".join(lines) + "\n")
    return path


def second_shot_group_broken(out: Path) -> list[str]:
    """pubmedqa becomes a 5-shot run of its own; one of its samples lost a choice's score."""
    edit_results(out, lambda r: r["n-shot"].update(pubmedqa=5))
    path = edit_sample(out, "pubmedqa", 2, lambda s: s["resps"].pop())
    return [f"{path}:2: field 'resps'", "2 log-likelihoods for the 3 options"]


def bad_utf8(out: Path) -> list[str]:
    path = samples_path(results_file(out), "medmcqa")
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].replace(b'"doc_id"', b'"doc\xff_id"', 1)
    path.write_bytes(b"\n".join(lines))
    return [f"{path}:3: not UTF-8"]


def doc_id_list(out: Path) -> list[str]:
    path = edit_sample(out, "mmlu_anatomy", 1, lambda s: s.update(doc_id=[0]))
    return [f"{path}:1: field 'doc_id': must be an integer, found [0]"]


def score(value: str):
    def mutate(out: Path) -> list[str]:
        path = edit_sample(out, "medqa_4options", 4, lambda s: s["resps"][1][0].__setitem__(0, value))
        return [f"{path}:4: field 'resps': log-likelihoods must be finite"]

    return mutate


def orphan_samples(out: Path) -> list[str]:
    results = results_file(out)
    orphan = samples_path(results, "mmlu_astronomy")
    shutil.copy(samples_path(results, "mmlu_anatomy"), orphan)
    return [f"{orphan}: samples of task 'mmlu_astronomy'", "has no configs['mmlu_astronomy']"]


def results_field(change, field: str):
    def mutate(out: Path) -> list[str]:
        edit_results(out, change)
        return [f"{results_file(out)}: field {field!r}"]

    return mutate


MUTATIONS = {
    "second shot group broken": second_shot_group_broken,
    "samples not UTF-8": bad_utf8,
    "doc_id a list": doc_id_list,
    "log-likelihood nan": score("nan"),
    "log-likelihood inf": score("-inf"),
    "orphan samples file": orphan_samples,
    "task config a string": results_field(lambda r: r["configs"].update(medmcqa="medmcqa"), "configs.medmcqa"),
    "model config a string": results_field(lambda r: r.update(config="hf"), "config"),
    "n-shot a list": results_field(lambda r: r.update({"n-shot": [0, 0]}), "n-shot"),
    "n-shot entry a list": results_field(lambda r: r["n-shot"].update(medmcqa=[0]), "n-shot.medmcqa"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_bad_output_is_refused_by_file_line_and_field_and_writes_nothing(name, tmp_path):
    out = tmp_path / "output"
    shutil.copytree(FIXTURE, out)
    expected = MUTATIONS[name](out)
    warehouse = tmp_path / "w.duckdb"
    report = import_lm_eval(warehouse, out)
    [(path, message)] = report.refused
    assert path == results_file(out)
    for text in expected:
        assert text in message
    assert (report.runs_added, report.predictions_added, report.run_ids) == (0, 0, [])
    assert not warehouse.exists()  # nothing to write: the warehouse is not even opened


def test_a_refused_file_leaves_the_good_ones_to_import(tmp_path):
    """Two outputs in one folder: the broken one (its 0-shot group is fine) adds nothing, the good one all."""
    out = tmp_path / "output"
    shutil.copytree(FIXTURE, out / "good")
    shutil.copytree(FIXTURE, out / "broken")
    expected = second_shot_group_broken(out / "broken")
    warehouse = tmp_path / "w.duckdb"
    report = import_lm_eval(warehouse, out)
    [(path, message)] = report.refused
    assert path == results_file(out / "broken") and expected[0] in message
    assert (report.runs_added, report.predictions_added) == (1, 36)
    assert query(warehouse, "SELECT count(*) FROM runs") == [(1,)]
    assert query(warehouse, "SELECT count(*) FROM predictions") == [(36,)]


def test_format_errors_are_errors_the_user_can_act_on():
    assert issubclass(LmEvalFormatError, MedlbError)
