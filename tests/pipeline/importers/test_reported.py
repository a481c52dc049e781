"""`medlb import reported FILE.csv`: scores from papers and model cards, with their citation, all or nothing."""

from __future__ import annotations

import hashlib

import pytest

from pipeline.cli import main
from pipeline.importers.reported import ReportedFormatError, import_reported
from tests.fixtures.builder import empty_warehouse
from tests.helpers import query

HEADER = "model,task,accuracy,shots,protocol,citation,n\n"
GOOD = HEADER + (
    'Med-PaLM 2,medqa_4options,86.5%,5,ensemble refinement,"Singhal et al. 2023, arXiv:2305.09617",1273\n'
    'Med-PaLM 2,pubmedqa,0.817,5,ensemble refinement,"Singhal et al. 2023, arXiv:2305.09617",\n'
    "GPT-4-base,medqa_4options,0.861,5,5-shot,Nori et al. 2023 arXiv:2303.13375,1273\n"
)


def write(tmp_path, text: str, name: str = "reported.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(path) -> list[tuple]:
    return query(
        path,
        "SELECT v.model_id, r.kind, r.num_fewshot, r.protocol, r.citation, s.task, s.accuracy, s.n, s.n_correct "
        "FROM summary_scores s JOIN summary_runs r USING (run_id) JOIN model_versions v USING (version_id) "
        "ORDER BY v.model_id, s.task",
    )


def test_a_good_file_becomes_one_reported_run_per_model_shots_protocol_and_citation(tmp_path):
    path = empty_warehouse(tmp_path / "w.duckdb")
    report = import_reported(path, write(tmp_path, GOOD))
    assert (report.runs_added, report.predictions_added) == (2, 0)
    citation = "Singhal et al. 2023, arXiv:2305.09617"
    assert stored(path) == [
        (
            "GPT-4-base",
            "reported",
            5,
            "5-shot",
            "Nori et al. 2023 arXiv:2303.13375",
            "medqa_4options",
            0.861,
            1273,
            1096,
        ),
        ("Med-PaLM 2", "reported", 5, "ensemble refinement", citation, "medqa_4options", 0.865, 1273, 1101),
        ("Med-PaLM 2", "reported", 5, "ensemble refinement", citation, "pubmedqa", 0.817, None, None),
    ]  # 0.861 x 1273 = 1096.05 and 0.865 x 1273 = 1101.1: papers print rounded accuracies
    assert query(path, "SELECT count(*) FROM runs")[0][0] == 0  # nothing a paired test could read
    again = import_reported(path, write(tmp_path, GOOD, "copy.csv"))
    assert again.runs_added == 0 and len(stored(path)) == 3  # the same scores again add nothing


def test_a_spreadsheets_utf8_bom_and_blank_lines_are_fine(tmp_path):
    path = empty_warehouse(tmp_path / "w.duckdb")
    import_reported(path, write(tmp_path, b"\xef\xbb\xbf" + (GOOD + "\n,,,,,,\n").encode()))
    assert len(stored(path)) == 3


ROW = "Med-PaLM 2,medqa_4options,86.5%,5,ensemble refinement,Singhal et al. 2023,1273"
BAD = {  # kind of bad input -> (CSV text, what the message must name)
    "missing column": ("model,task,accuracy,shots,protocol\nx,medqa_4options,0.5,0,p\n", ["row 1", "'citation'"]),
    "unknown column": (HEADER.strip() + ",revision\n" + ROW + ",abc\n", ["row 1", "'revision'"]),
    "empty citation": (HEADER + ROW.replace("Singhal et al. 2023", "") + "\n", ["row 2", "field 'citation'"]),
    "empty model": (HEADER + ROW.replace("Med-PaLM 2", "", 1) + "\n", ["row 2", "field 'model'"]),
    "unknown task": (HEADER + ROW.replace("medqa_4options", "medqa") + "\n", ["row 2", "field 'task'", "'medqa'"]),
    "bare percentage": (HEADER + ROW.replace("86.5%", "86.5") + "\n", ["row 2", "field 'accuracy'", "86.5%"]),
    "not a number": (HEADER + ROW.replace("86.5%", "high") + "\n", ["row 2", "field 'accuracy'"]),
    "over 100%": (HEADER + ROW.replace("86.5%", "186.5%") + "\n", ["row 2", "field 'accuracy'", "outside"]),
    "shots in words": (HEADER + ROW.replace(",5,", ",five,") + "\n", ["row 2", "field 'shots'", "'five'"]),
    "negative shots": (HEADER + ROW.replace(",5,", ",-1,") + "\n", ["row 2", "field 'shots'"]),
    "n of zero": (HEADER + ROW.replace(",1273", ",0") + "\n", ["row 2", "field 'n'", "at least 1"]),
    "extra cells": (HEADER + ROW + ",surplus\n", ["row 2", "beyond the header"]),
    "the same score twice": (HEADER + ROW + "\n" + ROW + "\n", ["row 3", "first at row 2"]),
    "no rows": (HEADER, ["no rows"]),
    "empty file": ("", ["empty"]),
    "not UTF-8": (HEADER.encode() + ROW.replace("Singhal", "Sing\xe9hal").encode("latin-1") + b"\n", ["UTF-8"]),
}


@pytest.mark.parametrize("kind", sorted(BAD))
def test_every_bad_row_is_named_and_nothing_is_written(tmp_path, kind):
    text, named = BAD[kind]
    path = empty_warehouse(tmp_path / "w.duckdb")
    import_reported(path, write(tmp_path, GOOD, "earlier.csv"))  # what is already recorded stays
    before = sha(path)
    csv_path = write(tmp_path, text)
    with pytest.raises(ReportedFormatError) as refused:
        import_reported(path, csv_path)
    message = str(refused.value)
    assert str(csv_path) in message
    for part in named:
        assert part in message, (kind, message)
    assert sha(path) == before  # the warehouse file is byte for byte what it was


def test_all_bad_rows_are_listed_at_once_and_good_rows_are_not_written(tmp_path):
    text = HEADER + ROW + "\n" + ROW.replace("86.5%", "x") + "\n" + ROW.replace(",5,", ",y,") + "\n"
    path = empty_warehouse(tmp_path / "w.duckdb")
    with pytest.raises(ReportedFormatError) as refused:
        import_reported(path, write(tmp_path, text))
    assert "2 problem(s), nothing imported" in str(refused.value)
    assert "row 3: field 'accuracy'" in str(refused.value) and "row 4: field 'shots'" in str(refused.value)
    assert stored(path) == []


def test_a_failure_inside_the_transaction_rolls_back_every_run(tmp_path, monkeypatch):
    from warehouse import imports

    path = empty_warehouse(tmp_path / "w.duckdb")
    original, calls = imports.write_summary_run, []

    def second_fails(con, run):
        calls.append(run.run_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(con, run)

    monkeypatch.setattr(imports, "write_summary_run", second_fails)
    with pytest.raises(RuntimeError, match="disk full"):
        import_reported(path, write(tmp_path, GOOD))
    assert len(calls) == 2 and stored(path) == []  # the first run, written before, was rolled back


def test_the_cli_prints_the_problems_and_exits_2(tmp_path, capsys):
    csv_path = write(tmp_path, HEADER + ROW.replace("86.5%", "86.5") + "\n")
    code = main(["import", "reported", str(csv_path), "--warehouse", str(tmp_path / "w.duckdb")])
    assert code == 2
    err = capsys.readouterr().err
    assert "row 2: field 'accuracy'" in err and "nothing imported" in err
    assert main(["import", "reported", str(write(tmp_path, GOOD)), "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    assert "runs added: 2" in capsys.readouterr().out
