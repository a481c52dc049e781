"""Plotly figures: pure functions from the frames in dashboard.page_frames / warehouse.queries to a Figure."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import plotly.graph_objects as go
import polars as pl

from pipeline.benchmarks.registry import task_title
from pipeline.metrics import Z95
from warehouse.records import LETTERS

BAR_HEIGHT = 26  # px per row in horizontal bar charts
BLUE, RED, GREY = "#2563eb", "#dc2626", "#9ca3af"


def safe(text: object) -> str:
    """Data text for a title, axis, legend or hover: plotly renders a subset of HTML (links included),
    so < > & are escaped; plotly turns the entities back into the characters when it draws them."""
    return html.escape(str(text))


def safe_all(values: Iterable[object]) -> list[str | None]:
    return [None if v is None else safe(v) for v in values]


def _layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    """`title` is escaped here, so callers pass it raw."""
    fig.update_layout(title=safe(title), height=height, margin=dict(l=10, r=10, t=50, b=10), legend_title_text="")
    return fig


def leaderboard_bars(
    table: pl.DataFrame,
    labels: dict[str, str] | None = None,
    top: int = 25,
    value: str = "average",
    chance: float | None = None,
) -> go.Figure:
    """One bar per entry for `value` (the average, the weighted mean or a task, following the leaderboard's
    sort) with its 95% interval, best first; the colour shows the tie group; a dotted line marks `chance`.
    A task is named by its readable name with its id beside it.

    A task's interval is its Wilson one (asymmetric); the average's is ± 1.96 of its standard error."""
    name = task_title(value) if value == task_title(value) else f"{task_title(value)} ({value})"  # the id too
    ranked = table.filter(pl.col(value).is_not_null()).sort(value, descending=True).head(top)
    ranked = ranked.reverse()  # plotly draws the first bar at the bottom
    names = [(labels or {}).get(e, label) for e, label in zip(ranked["entry_id"], ranked["entry_label"])]
    values = (ranked[value] * 100).to_list()
    if f"{value} low" in ranked.columns:
        error = dict(
            type="data",
            symmetric=False,
            array=((ranked[f"{value} high"] - ranked[value]) * 100).to_list(),
            arrayminus=((ranked[value] - ranked[f"{value} low"]) * 100).to_list(),
        )
    elif value == "average":
        error = dict(type="data", array=(ranked["average_se"] * Z95 * 100).to_list())
    else:
        error = None
    ties = ranked["tie"].to_list() if "tie" in ranked.columns else [""] * ranked.height
    fig = go.Figure(
        go.Bar(
            x=values,
            y=safe_all(names),
            orientation="h",
            marker_color=[GREY if tie else BLUE for tie in ties],
            error_x=error,
            customdata=safe_all(ties),
            hovertemplate="%{y}<br>" + safe(name) + " %{x:.1f}%<br>tie %{customdata}<extra></extra>",
        )
    )
    fig.update_xaxes(title=f"{safe(name)} accuracy (%)", range=[0, 100])
    if chance is not None:
        add_chance_line(fig, chance * 100, vertical=True)
    return _layout(
        fig, f"{name}, top {min(top, ranked.height)} (grey: tied with a neighbour)", 120 + BAR_HEIGHT * ranked.height
    )


def add_chance_line(fig: go.Figure, percent: float, vertical: bool = False) -> None:
    """A dotted grey line at the accuracy of guessing at random, labelled as such."""
    line = dict(dash="dot", color=GREY, width=2)
    text = f"chance {percent:.1f}%"
    if vertical:
        fig.add_vline(x=percent, line=line, annotation_text=text, annotation_position="top")
    else:
        fig.add_hline(y=percent, line=line, annotation_text=text, annotation_position="bottom right")


def subject_differences(diffs: pl.DataFrame, label_a: str, label_b: str) -> go.Figure:
    """B - A per (task, subject), blue right of zero where B is better; each bar names its task by its
    readable name and its n, the hover adds the task id."""
    titles = {task: task_title(task) for task in diffs["task"].unique().to_list()}
    rows = diffs.with_columns(
        pl.format("{} · {} (n={})", pl.col("task").replace_strict(titles), pl.col("subject"), pl.col("n")).alias(
            "slice"
        )
    ).sort("diff")
    values = (rows["diff"] * 100).to_list()
    numbers = zip(rows["n"].to_list(), (rows["acc_a"] * 100).to_list(), (rows["acc_b"] * 100).to_list())
    fig = go.Figure(
        go.Bar(
            x=values,
            y=safe_all(rows["slice"]),
            orientation="h",
            marker_color=[BLUE if v > 0 else RED if v < 0 else GREY for v in values],
            customdata=[[*n, safe(task)] for n, task in zip(numbers, rows["task"].to_list())],
            hovertemplate="%{y}<br>task id %{customdata[3]}<br>B - A %{x:+.1f} points<br>n=%{customdata[0]}, "
            "A %{customdata[1]:.1f}%, B %{customdata[2]:.1f}%<extra></extra>",
        )
    )
    reach = max([abs(v) for v in values if v is not None] + [5.0]) * 1.1  # symmetric: zero in the middle
    fig.update_xaxes(
        title=f"accuracy of B ({safe(label_b)}) minus A ({safe(label_a)}), points", zeroline=True, range=[-reach, reach]
    )
    return _layout(fig, "Per-subject differences", 120 + BAR_HEIGHT * rows.height)


def history_lines(history: pl.DataFrame, chance: dict[str, float] | None = None) -> go.Figure:
    """Per-task accuracy across a model's versions, in version order (one line per task, named by its
    readable name, the id in the hover), with a dotted line at each chance level of the tasks shown
    (task -> chance, as warehouse.queries.task_chance gives it)."""
    fig = go.Figure()
    order = history.select("position", "label").unique().sort("position")
    labels = safe_all(order["label"])
    for task in sorted(history["task"].unique().to_list()):
        part = history.filter(pl.col("task") == task).sort("position")
        fig.add_trace(
            go.Scatter(
                x=safe_all(part["label"]),
                y=(part["acc"] * 100).to_list(),
                mode="lines+markers",
                name=safe(task_title(task)),
                meta=safe(task),
                # name and id by reference, not pasted into the template, where %{...} in them would be evaluated
                hovertemplate="%{fullData.name} (task id %{meta})<br>%{x}: %{y:.1f}%<extra></extra>",
            )
        )
    fig.update_xaxes(title="version (oldest first)", categoryorder="array", categoryarray=labels)
    fig.update_yaxes(title="accuracy (%)", range=[0, 100])
    shown = set(history["task"].to_list())
    for level in sorted({round(c * 100, 1) for t, c in (chance or {}).items() if t in shown and c is not None}):
        add_chance_line(fig, level)
    return _layout(fig, "Accuracy per task across versions", 420)


def option_probabilities(answers: pl.DataFrame, options: Sequence[str], golds: Sequence[int]) -> go.Figure:
    """One stacked bar per entry: the probability it gave each option (gold options outlined in the legend)."""
    rows = answers.filter(pl.col("probs").is_not_null()).reverse()
    fig = go.Figure()
    for k, option in enumerate(options):
        gold = " (gold)" if k in golds else ""
        fig.add_trace(
            go.Bar(
                x=[probs[k] if probs is not None and k < len(probs) else None for probs in rows["probs"].to_list()],
                y=safe_all(rows["entry_label"]),
                orientation="h",
                name=safe(f"{LETTERS[k]}. {option[:40]}{gold}"),
                hovertemplate=f"%{{y}}<br>{LETTERS[k]}: %{{x:.3f}}<extra></extra>",
            )
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="probability", range=[0, 1])
    return _layout(fig, "Option probabilities per model version", 160 + BAR_HEIGHT * rows.height)


# ------------------------------------------------------------------ beyond accuracy


def reliability_diagram(bins: pl.DataFrame, title: str) -> go.Figure:
    """Accuracy per confidence bin against the diagonal of perfect calibration; bar width = bin width,
    hover gives the bin's count and mean confidence. Empty bins draw no bar."""
    filled = bins.filter(pl.col("count") > 0)
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=((filled["lower"] + filled["upper"]) / 2).to_list(),
            y=filled["accuracy"].to_list(),
            width=(filled["upper"] - filled["lower"]).to_list(),
            marker_color=BLUE,
            name="accuracy",
            customdata=list(zip(filled["count"].to_list(), filled["confidence"].to_list())),
            hovertemplate="accuracy %{y:.3f}<br>mean confidence %{customdata[1]:.3f}<br>n=%{customdata[0]}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=filled["confidence"].to_list(),
            y=filled["accuracy"].to_list(),
            mode="markers",
            marker_color=RED,
            name="mean confidence",
            hovertemplate="confidence %{x:.3f}<br>accuracy %{y:.3f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(dash="dash", color=GREY),
            name="perfect calibration",
            hoverinfo="skip",
        )
    )
    fig.update_xaxes(title="confidence (probability of the top option)", range=[0, 1])
    fig.update_yaxes(title="accuracy", range=[0, 1])
    return _layout(fig, title, 420)


def coverage_curve(curve: pl.DataFrame, title: str) -> go.Figure:
    """Accuracy over the most confident questions against the share answered (100% = every question)."""
    fig = go.Figure(
        go.Scatter(
            x=(curve["coverage"] * 100).to_list(),
            y=(curve["accuracy"] * 100).to_list(),
            mode="lines",
            line_color=BLUE,
            customdata=curve["threshold"].to_list(),
            hovertemplate="answers the %{x:.1f}% most confident<br>accuracy %{y:.1f}%<br>"
            "confidence ≥ %{customdata:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="coverage (% of questions answered, most confident first)", range=[0, 100])
    fig.update_yaxes(title="accuracy (%)", range=[0, 100])
    return _layout(fig, title, 380)


def letter_shares(table: pl.DataFrame, title: str) -> go.Figure:
    """Share of each letter among chosen answers next to its share among gold answers."""
    fig = go.Figure(
        [
            go.Bar(
                x=table["letter"].to_list(),
                y=(table["chosen_share"] * 100).to_list(),
                name="chosen",
                marker_color=BLUE,
                hovertemplate="%{x}: %{y:.1f}% of answers<extra></extra>",
            ),
            go.Bar(
                x=table["letter"].to_list(),
                y=(table["gold_share"] * 100).to_list(),
                name="gold",
                marker_color=GREY,
                hovertemplate="%{x}: %{y:.1f}% of golds<extra></extra>",
            ),
        ]
    )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="letter (position as shown)")
    fig.update_yaxes(title="share (%)", rangemode="tozero")
    return _layout(fig, title, 360)


def slice_heatmap(matrix: pl.DataFrame, title: str, sizes: pl.DataFrame | None = None, min_n: int = 0) -> go.Figure:
    """Models (rows) x slices (columns), accuracy in %, the value and its n written in each cell. With
    `sizes` (the same matrix of n), a cell answered fewer than `min_n` times has no colour (grey) and
    reads "n=3, too few" instead of a 0% or 100% that one or two answers decided."""
    slices = [c for c in matrix.columns if c != "model"]
    values = [[None if v is None else v * 100 for v in row] for row in matrix.select(slices).rows()]
    counts = sizes.select(slices).rows() if sizes is not None else [[None] * len(slices) for _ in values]
    shown, text = [], []
    for row, ns in zip(values, counts):
        shown.append([None if v is None or (n is not None and n < min_n) else v for v, n in zip(row, ns)])
        text.append(
            [
                ""
                if v is None
                else f"n={n}, too few"
                if n is not None and n < min_n
                else f"{v:.0f}" + ("" if n is None else f"<br>n={n}")
                for v, n in zip(row, ns)
            ]
        )
    fig = go.Figure(
        go.Heatmap(
            z=shown,
            x=safe_all(slices),
            y=safe_all(matrix["model"]),
            zmin=0,
            zmax=100,
            colorscale="RdYlGn",
            text=text,
            texttemplate="%{text}",
            customdata=values,
            colorbar=dict(title="acc %"),
            hovertemplate="%{y}<br>%{x}: %{customdata:.1f}%<br>%{text}<extra></extra>",
            hoverongaps=False,
        )
    )
    fig.update_layout(plot_bgcolor="#e5e7eb")  # the colour of a greyed-out cell
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, 160 + BAR_HEIGHT * 1.4 * matrix.height)
