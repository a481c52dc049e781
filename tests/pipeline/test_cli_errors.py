"""The CLI prints a MedlbError as one line and exits 2; any other exception is a bug and keeps its traceback."""

from __future__ import annotations

import pytest

from pipeline import run
from pipeline.cli import main
from warehouse.errors import MedlbError


def test_too_many_shots_is_a_user_error_and_writes_nothing(tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    code = main(["eval", "--model", "test/none", "--tasks", "mmlu_anatomy", "--shots", "6", "--warehouse", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    # mmlu_anatomy's few-shot split (its dev split) has 5 questions
    assert err.startswith("error: mmlu_anatomy: --shots 6 asked") and "only 5 examples" in err
    assert not path.exists()


def test_a_medlb_error_prints_one_line(monkeypatch, capsys):
    class Situation(MedlbError):
        pass

    def refuse(config, progress):
        raise Situation("the warehouse is somewhere else; pass --warehouse PATH")

    monkeypatch.setattr(run, "evaluate", refuse)
    assert main(["eval", "--model", "test/none", "--tasks", "pubmedqa"]) == 2
    assert capsys.readouterr().err == "error: the warehouse is somewhere else; pass --warehouse PATH\n"


def test_a_plain_value_error_is_a_bug_with_its_traceback(monkeypatch):
    def broken(config, progress):
        raise ValueError("a bug in medlb")

    monkeypatch.setattr(run, "evaluate", broken)
    with pytest.raises(ValueError, match="a bug in medlb"):
        main(["eval", "--model", "test/none", "--tasks", "pubmedqa"])


def test_a_negative_demo_sample_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["demo", "--per-task", "-1", "--no-serve"])
    assert stopped.value.code == 2
    assert "--per-task: must be at least 0, not -1" in capsys.readouterr().err
