"""CSV export: exactly the columns shown, formula-like text neutralised, numbers left as numbers."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.export import to_csv
from dashboard.page_frames import accuracy
from tests.fixtures.warehouse import ENTRIES
from warehouse import queries


def test_question_list_csv_text_with_a_formula_cell(con):
    shown = queries.questions(con, task="mmlu_medical_genetics").select(
        "question_id", "subject", "text", "n_right", "share_right"
    )
    assert to_csv(shown) == (  # a byte-order mark first (issue 13), so Excel on Windows reads UTF-8
        "\ufeffquestion_id,subject,text,n_right,share_right\n"
        "mmlu_medical_genetics/3,medical_genetics,mmlu_medical_genetics question 3: which option is right?,2,"
        "0.3333333333333333\n"
        "mmlu_medical_genetics/2,medical_genetics,mmlu_medical_genetics question 2: which option is right?,3,0.5\n"
        "mmlu_medical_genetics/0,medical_genetics,mmlu_medical_genetics question 0: which option is right?,5,"
        "0.8333333333333334\n"
        'mmlu_medical_genetics/1,medical_genetics,"\'=HYPERLINK(""http://example.com"",""Which gene is mutated in '
        'cystic fibrosis?"")",5,0.8333333333333334\n'
    )


def test_negative_numbers_stay_numbers(con):
    summary = accuracy.compare_summary(queries.compare(con, ENTRIES["acme_v2"], ENTRIES["acme_v3"]), ["medmcqa"])
    assert to_csv(summary.select("task", "diff", "a_only")) == (
        "\ufefftask,diff,a_only\nmedmcqa,-0.25,1\nall tasks (pooled),-0.2777777777777778,10\n"
    )


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_is_neutralised(text):
    csv = to_csv(pl.DataFrame({"cell": [text]}))
    assert csv.split("\n", 1)[1].strip('"\n').startswith("'" + text[0])
    header = to_csv(pl.DataFrame({text: [1]})).removeprefix("\ufeff").split("\n", 1)[0]
    assert header.strip('"').startswith("'" + text[0])  # header cells are neutralised too


def test_ordinary_text_nulls_and_lists():
    frame = pl.DataFrame({"text": ["a=b", None, "x-y"], "golds": [[0, 2], [1], []], "n": [-3, 0, 2]})
    assert to_csv(frame) == '\ufefftext,golds,n\na=b,0; 2,-3\n,1,0\nx-y,"",2\n'


def test_leaderboard_csv_has_numeric_interval_columns(con):
    """The leaderboard's CSV, exactly: each task's accuracy, low and high as numbers (%), whatever the screen
    shows, and its n. 3 of 4 is [30.06, 95.44] (Wilson, worked out in test_page_frames.py)."""
    tasks = ["medmcqa"]
    chance = queries.task_chance(con, "omll")
    board = accuracy.leaderboard_table(queries.leaderboard(con), queries.entries(con), tasks, chance)
    v2 = board.filter(pl.col("entry_id") == ENTRIES["acme_v2"])
    display = accuracy.format_accuracy(v2, tasks, with_interval=True).select("medmcqa", "questions")
    assert display["medmcqa"].to_list() == ["75.0 [30.1, 95.4]"]
    assert to_csv(accuracy.accuracy_export(display, v2, tasks)) == (
        "\ufeffmedmcqa,medmcqa low,medmcqa high,medmcqa n,questions\n75.0,30.06,95.44,4,4\n"
    )
