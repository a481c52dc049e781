"""Open Medical-LLM Leaderboard dashboard: `streamlit run dashboard/app.py`.

The warehouse path comes from MEDLB_WAREHOUSE (default ./medlb.duckdb). This file sets up the page,
the shared sidebar (warehouse, task group) and st.navigation over dashboard/app_pages/; an empty or
missing warehouse gets a message that says how to fill it, never a stack trace.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository root.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from dashboard import data, widgets  # noqa: E402
from warehouse.db import WarehouseBusy  # noqa: E402

# An emoji favicon: the browser draws it from a data: URL. A ":material/...:" favicon is fetched from
# fonts.gstatic.com on every page (the page icons below use the font bundled with Streamlit, and are not
# the favicon while this one is set), which fails offline and leaks each visit.
PAGE_ICON = "🩺"
st.set_page_config(page_title="Open Medical-LLM Leaderboard", page_icon=PAGE_ICON, layout="wide")

PAGES = [
    st.Page("app_pages/leaderboard.py", title="Leaderboard", icon=":material/leaderboard:", default=True),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("app_pages/history.py", title="History", icon=":material/timeline:", url_path="history"),
    st.Page("app_pages/questions.py", title="Questions", icon=":material/quiz:", url_path="questions"),
    st.Page("app_pages/calibration.py", title="Calibration", icon=":material/tune:", url_path="calibration"),
    st.Page("app_pages/robustness.py", title="Robustness & bias", icon=":material/shuffle:", url_path="robustness"),
    st.Page("app_pages/slices.py", title="Slices & items", icon=":material/grid_view:", url_path="slices"),
    st.Page("app_pages/runs.py", title="Runs", icon=":material/list_alt:", url_path="runs"),
    st.Page("app_pages/answers.py", title="Answers (K-QA)", icon=":material/forum:", url_path="answers"),
    st.Page("app_pages/submit.py", title="Submit", icon=":material/send:", url_path="submit"),
    st.Page("app_pages/about.py", title="About", icon=":material/info:", url_path="about"),
]


def sidebar(version: data.WarehouseVersion) -> None:
    groups = data.task_groups(version)
    names = groups["task_group"].to_list()
    sizes = dict(zip(names, groups["n_tasks"].to_list()))
    widgets.start_from_url("task_group", "group", "omll", names)
    with st.sidebar:
        choice = st.selectbox(
            "Task group",
            names,
            key="task_group",
            format_func=lambda g: f"{g} ({sizes[g]} tasks)",
            help="omll is the nine tasks of the Open Medical-LLM Leaderboard.",
        )
        widgets.set_url("group", None if choice == "omll" else choice)
        summary = data.status(version).summary or {}
        st.caption(
            f"Warehouse {widgets.md(version.path)}: {summary.get('predictions', 0):,} predictions, "
            f"{summary.get('answers', 0):,} open-ended answers, {summary.get('runs', 0)} runs, "
            f"{summary.get('versions', 0)} model versions."
        )


def main() -> None:
    page = st.navigation(PAGES)
    version = data.warehouse_version()
    state = data.status(version)
    if not state.ready:
        if page.url_path == "submit":  # the request store is its own file: a model can be queued before any result
            page.run()
            return
        st.title("Open Medical-LLM Leaderboard")
        st.info(f"**{state.title}.** {state.message}", icon=":material/info:")
        return
    try:  # the sidebar loads too: a writer can take the lock between the status check and any load
        sidebar(version)
        page.run()
    except WarehouseBusy as exc:  # a writer held the file longer than a reader waits: say so, no trace
        st.warning(f"**{data.BUSY_TITLE}.** {data.busy_message(exc)}", icon=":material/hourglass:")


main()
