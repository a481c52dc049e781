"""Plotly figures: pure functions from the frames in dashboard.analysis / warehouse.queries to a Figure."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go
import polars as pl

from pipeline.records import LETTERS

BAR_HEIGHT = 26  # px per row in horizontal bar charts
BLUE, RED, GREY = "#2563eb", "#dc2626", "#9ca3af"


def _layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10), legend_title_text="")
    return fig


def leaderboard_bars(table: pl.DataFrame, top: int = 25) -> go.Figure:
    """Leaderboard average with its 95% interval, best first (entries with all tasks only)."""
    ranked = table.filter(pl.col("average").is_not_null()).sort("average", descending=True).head(top)
    ranked = ranked.reverse()  # plotly draws the first bar at the bottom
    fig = go.Figure(go.Bar(
        x=(ranked["average"] * 100).to_list(),
        y=ranked["entry_label"].to_list(),
        orientation="h",
        marker_color=BLUE,
        error_x=dict(type="data", array=(ranked["average_se"] * 196).to_list()),
        hovertemplate="%{y}<br>average %{x:.1f}%<extra></extra>",
    ))
    fig.update_xaxes(title="average accuracy (%)", range=[0, 100])
    return _layout(fig, f"Leaderboard average, top {min(top, ranked.height)}", 120 + BAR_HEIGHT * ranked.height)


def subject_differences(diffs: pl.DataFrame, label_a: str, label_b: str) -> go.Figure:
    """B - A per (task, subject), green right of zero where B is better."""
    rows = diffs.with_columns((pl.col("task") + " · " + pl.col("subject")).alias("slice")).sort("diff")
    values = (rows["diff"] * 100).to_list()
    fig = go.Figure(go.Bar(
        x=values,
        y=rows["slice"].to_list(),
        orientation="h",
        marker_color=[BLUE if v > 0 else RED if v < 0 else GREY for v in values],
        customdata=list(zip(rows["n"].to_list(), (rows["acc_a"] * 100).to_list(), (rows["acc_b"] * 100).to_list())),
        hovertemplate="%{y}<br>B - A %{x:+.1f} points<br>n=%{customdata[0]}, A %{customdata[1]:.1f}%, "
                      "B %{customdata[2]:.1f}%<extra></extra>",
    ))
    reach = max([abs(v) for v in values if v is not None] + [5.0]) * 1.1  # symmetric: zero in the middle
    fig.update_xaxes(title=f"accuracy of B ({label_b}) minus A ({label_a}), points", zeroline=True,
                     range=[-reach, reach])
    return _layout(fig, "Per-subject differences", 120 + BAR_HEIGHT * rows.height)


def history_lines(history: pl.DataFrame) -> go.Figure:
    """Per-task accuracy across a model's versions, in version order."""
    fig = go.Figure()
    order = history.select("position", "label").unique().sort("position")
    labels = order["label"].to_list()
    for task in sorted(history["task"].unique().to_list()):
        part = history.filter(pl.col("task") == task).sort("position")
        fig.add_trace(go.Scatter(
            x=part["label"].to_list(), y=(part["acc"] * 100).to_list(), mode="lines+markers", name=task,
            hovertemplate=f"{task}<br>%{{x}}: %{{y:.1f}}%<extra></extra>",
        ))
    fig.update_xaxes(title="version (oldest first)", categoryorder="array", categoryarray=labels)
    fig.update_yaxes(title="accuracy (%)", range=[0, 100])
    return _layout(fig, "Accuracy per task across versions", 420)


def option_probabilities(answers: pl.DataFrame, options: Sequence[str], golds: Sequence[int]) -> go.Figure:
    """One stacked bar per entry: the probability it gave each option (gold options outlined in the legend)."""
    rows = answers.filter(pl.col("probs").is_not_null()).reverse()
    fig = go.Figure()
    for k, option in enumerate(options):
        gold = " (gold)" if k in golds else ""
        fig.add_trace(go.Bar(
            x=[probs[k] if probs is not None and k < len(probs) else None for probs in rows["probs"].to_list()],
            y=rows["entry_label"].to_list(),
            orientation="h",
            name=f"{LETTERS[k]}. {option[:40]}{gold}",
            hovertemplate=f"%{{y}}<br>{LETTERS[k]}: %{{x:.3f}}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="probability", range=[0, 1])
    return _layout(fig, "Option probabilities per model version", 160 + BAR_HEIGHT * rows.height)
