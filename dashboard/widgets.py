"""UI pieces the pages share: a table with its CSV download, URL-backed state, pickers, the task group."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import streamlit as st

from dashboard import data
from dashboard.export import to_csv
from dashboard.page_frames import labels as task_labels
from dashboard.page_frames.labels import display_labels

QUESTIONS_PAGE = "app_pages/questions.py"
# Characters with a meaning in Streamlit's markdown (links, images, emphasis, code, HTML, entities, math,
# :directives:, tables); a '.' only before a non-space, where it makes www.x.y autolinks.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-!|~$:&@]|\.(?=\S))")
# Where GitHub-flavoured autolinking starts a link: "scheme:" before "//", "www" before ".", after an "@".
# It runs on the text once escapes are decoded, so a backslash does not stop it; an invisible word joiner does.
_AUTOLINK_JOINTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def md(value: object) -> str:
    """Data or URL text made inert inside Streamlit markdown (subheader, caption, warning, metric, ...).

    The special characters get a backslash (CommonMark lets any ASCII punctuation be escaped), so a
    source id like `[x](http://evil)` or `![i](http://evil/i.png)` shows as typed instead of rendering a
    link or fetching a remote image. `http://`, `www.` and e-mail addresses get an invisible word joiner
    where autolinking would start, so they show as typed but are not links. Line breaks become spaces so
    the text cannot start a heading or list of its own. Plain prose ("C. gamma") is unchanged."""
    return _MD_SPECIAL.sub(r"\\\1", without_autolinks(" ".join(str(value).split())))


def without_autolinks(text: str) -> str:
    """`text` with a word joiner where an autolink would start: it looks the same but links nowhere."""
    return _AUTOLINK_JOINTS.sub(WORD_JOINER, text)


def file_stem(name: str) -> str:
    """A download name safe as a file name and inside the button's markdown label: data-derived parts
    (question ids, model names) keep letters, digits, '.', '-' and '_' only (a "www." left among them is
    the label's without_autolinks' job)."""
    return re.sub(r"[^\w.-]", "_", name)


def table(
    frame: pl.DataFrame,
    name: str,
    *,
    key: str,
    column_config: dict | None = None,
    select: bool = False,
    height: int | str = "auto",
    export: pl.DataFrame | None = None,
) -> list[int]:
    """Show `frame` as is, with a CSV download of exactly these columns (or of `export`, the same rows in
    numeric form where the screen shows text, such as an interval); returns selected row positions."""
    name = file_stem(name)
    kwargs: dict[str, Any] = {
        "hide_index": True,
        "column_config": column_config,
        "key": key,
        "height": height,
        "placeholder": "–",
    }
    if select:
        event = st.dataframe(frame, on_select="rerun", selection_mode="single-row", **kwargs)
        rows = list(event.selection.rows) if event is not None else []
    else:
        st.dataframe(frame, **kwargs)
        rows = []
    st.download_button(  # the label is markdown: a data-derived "www.x.y" in the name would be a link
        without_autolinks(f"Download {name}.csv"),
        to_csv(frame if export is None else export),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{key}-csv",
        on_click="ignore",
        icon=":material/download:",
    )
    return rows


TASK_COLUMN_HELP = "The task's readable name; the CSV has its id in `task` and this name in `task name`."


def task_table(
    frame: pl.DataFrame,
    name: str,
    *,
    key: str,
    column_config: dict | None = None,
    select: bool = False,
    export: pl.DataFrame | None = None,
) -> list[int]:
    """`table` for a frame with a `task` column of task ids: the screen shows each task's readable name
    (the column's tooltip says where the id is), the CSV keeps the id in `task` with `task name` beside it.
    Selected positions are those of `frame`, whose rows keep their ids."""
    config = {"task": st.column_config.TextColumn("task", help=TASK_COLUMN_HELP)} | (column_config or {})
    return table(
        task_labels.with_task_titles(frame),
        name,
        key=key,
        column_config=config,
        select=select,
        export=task_labels.with_task_name_column(frame if export is None else export),
    )


def task_selectbox(container: Any, label: str, options: Sequence[str], *, key: str, **kwargs: Any) -> str:
    """A selectbox of task ids (and maybe the pooled choice) that shows readable names; the id stays the
    value, so it is what the URL holds."""
    return container.selectbox(label, options, key=key, format_func=task_labels.task_title, **kwargs)


# ------------------------------------------------------------------ URL state


def url_value(name: str) -> str | None:
    value = st.query_params.get(name)
    return value or None


def url_list(name: str) -> list[str]:
    value = url_value(name)
    return [part for part in value.split(",") if part] if value else []


def set_url(name: str, value: str | Sequence[str] | None) -> None:
    """Mirror page state into the URL, so a copied link reproduces the view."""
    if isinstance(value, (list, tuple)):
        value = ",".join(value)
    value = value or None
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
    elif st.query_params.get(name) != value:
        st.query_params[name] = value
    st.session_state.setdefault("_url_written", {})[name] = value


def url_range(name: str, low: float, high: float) -> tuple[float, float]:
    """The URL's range "LOW-HIGH" clipped to [low, high]; the whole range when absent or unreadable."""
    try:
        start, end = (float(part) for part in (url_value(name) or "").split("-"))
    except ValueError:
        return (low, high)
    start, end = max(low, min(start, high)), max(low, min(end, high))
    return (start, end) if start <= end else (low, high)


def url_range_readable(name: str) -> bool:
    """Whether the URL's `name` reads as "LOW-HIGH" (url_range falls back to the whole range when not)."""
    try:
        start, end = (float(part) for part in (url_value(name) or "").split("-"))
    except ValueError:
        return False
    return start <= end


def url_unknown(param: str, known: Sequence[Any]) -> list[str]:
    """The values of a followed link's comma-separated `param` that are not among `known` (as text); [] when
    no link was followed, since what this session wrote itself is always known."""
    if not url_changed(param):
        return []
    allowed = {str(value) for value in known}
    return [value for value in url_list(param) if value not in allowed]


def warn_unknown_in_url(param: str, unknown: Sequence[str], instead: str) -> None:
    """A visible warning that the link's `param` holds values this page does not offer, and what it shows
    `instead`: a link from another warehouse or an older version should not silently change the view."""
    if unknown:
        st.warning(
            f"The link's **{param}** has value(s) this page does not offer here: {md(', '.join(unknown))}. {instead}"
        )


def url_changed(name: str) -> bool:
    """True when the URL's `name` is not what this session last wrote there: a link was followed,
    so its value should win over the widget's remembered one."""
    value = url_value(name)
    return value is not None and value != st.session_state.get("_url_written", {}).get(name)


def start_widget_at(widget_key: str, value: Any, options: Sequence[Any], force: bool = False) -> None:
    """Start the widget `widget_key` at `value` (from the URL or a default) unless the user already chose;
    `force` (a followed link) wins over the user's earlier choice."""
    if (force or widget_key not in st.session_state) and value in options:
        st.session_state[widget_key] = value


def start_from_url(widget_key: str, param: str, default: Any, options: Sequence[Any]) -> None:
    """Start a widget at the URL's `param` (a followed link wins over the user's earlier choice), else at
    `default`."""
    start_widget_at(widget_key, url_value(param) or default, options, force=url_changed(param))


def start_text_from_url(widget_key: str, param: str) -> None:
    """Start a text input at the URL's `param` (a followed link wins over what the user typed before)."""
    value = url_value(param)
    if value is not None and (url_changed(param) or widget_key not in st.session_state):
        st.session_state[widget_key] = value


def start_list_from_url(widget_key: str, param: str, options: Sequence[Any]) -> None:
    """Start a multiselect at the URL's comma-separated `param`, keeping only values it offers."""
    chosen = [value for value in url_list(param) if value in options]
    if chosen and (url_changed(param) or widget_key not in st.session_state):
        st.session_state[widget_key] = chosen


# ------------------------------------------------------------------ shared choices


@dataclass(frozen=True)
class PageContext:
    """What every page starts from: the warehouse version its loads read, the sidebar's task group, that
    group's tasks, and the display label of every leaderboard entry."""

    version: data.WarehouseVersion
    group: str
    tasks: list[str]
    labels: dict[str, str]


def page_context() -> PageContext:
    version = data.warehouse_version()
    group = task_group()
    return PageContext(version, group, data.tasks(version, group), entry_labels(version))


def task_group() -> str:
    return st.session_state.get("task_group", "omll")


def entry_labels(version: data.WarehouseVersion) -> dict[str, str]:
    """entry_id -> its short, distinct display label (dashboard.page_frames.labels)."""
    return display_labels(data.entries(version))


def open_question(question_id: str) -> None:
    """The question view of another page's row. Only the question goes in the link: a task there would be a
    filter of the Questions list (where "Back" leads) that the user never set."""
    st.switch_page(QUESTIONS_PAGE, query_params={"question": question_id})


def percent(column: str, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(column, format="%.1f", help=help)
