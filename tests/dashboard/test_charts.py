"""What the charts show beyond their data (issue 13): the chance level as a line, a tie group's colour, the
sorted column's interval, and n with small slices greyed out."""

from __future__ import annotations

import polars as pl
import pytest

from dashboard import charts


def board() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "entry_id": ["a", "b"],
            "entry_label": ["org/a · long", "org/b · long"],
            "average": [0.5, 0.3],
            "average_se": [0.05, 0.05],
            "medqa": [0.75, 0.25],
            "medqa low": [0.30, 0.05],
            "medqa high": [0.95, 0.70],
            "tie": ["≈1", "≈1"],
        }
    )


def test_leaderboard_bars_follow_the_sorted_task_with_its_wilson_interval_and_chance():
    fig = charts.leaderboard_bars(board(), {"a": "a", "b": "b"}, value="medqa", chance=0.25)
    bar = fig.data[0]
    assert list(bar.y) == ["b", "a"] and list(bar.x) == [25.0, 75.0]  # best at the top (drawn last)
    assert list(bar.error_x.array) == pytest.approx([45.0, 20.0])  # up to high, down to low: asymmetric
    assert list(bar.error_x.arrayminus) == pytest.approx([20.0, 45.0])
    assert list(bar.marker.color) == [charts.GREY, charts.GREY]  # tied
    (line,) = fig.layout.shapes
    assert (line.x0, line.x1, line.line.dash) == (25.0, 25.0, "dot")
    assert fig.layout.annotations[0].text == "chance 25.0%"


def test_history_lines_draw_each_chance_level_once():
    history = pl.DataFrame(
        {"position": [1, 1, 1], "label": ["v1"] * 3, "task": ["medqa", "mmlu", "pubmedqa"], "acc": [0.3, 0.3, 0.4]}
    )
    fig = charts.history_lines(history, {"medqa": 0.25, "mmlu": 0.25, "pubmedqa": 1 / 3, "other": 0.5})
    assert sorted(shape.y0 for shape in fig.layout.shapes) == [25.0, 33.3]


def test_small_slices_are_greyed_with_their_n():
    matrix = pl.DataFrame({"model": ["a"], "s1": [1.0], "s2": [0.5]})
    sizes = pl.DataFrame({"model": ["a"], "s1": [2], "s2": [40]})
    fig = charts.slice_heatmap(matrix, "t", sizes, min_n=10)
    cell = fig.data[0]
    assert list(cell.z[0]) == [None, 50.0]  # no colour for the slice of 2
    assert list(cell.text[0]) == ["n=2, too few", "50<br>n=40"]
