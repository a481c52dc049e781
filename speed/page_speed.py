"""Page speed of the dashboard in headless Chromium, for this tree beside a baseline revision in one run.

    .venv/bin/python speed/page_speed.py [WAREHOUSE] [--baseline REV] [--rounds N]

WAREHOUSE defaults to the fixture warehouse (tests/fixtures/warehouse.py), built in a temporary folder.
With --baseline, REV is checked out into a temporary `git worktree` and served beside this tree on the same
warehouse by the same Python; every page is then measured on both in turn (the order alternating), so load
on the machine falls on both alike, and the ratio (this tree / baseline) is printed.

For each tree: the cold first load (a fresh server's first page), then per page the median of N direct
loads (a page opened by its URL: a new session, its script run on warm caches) and of N moves between pages
(a sidebar click). A direct load is broken down into the HTML (domcontentloaded), the websocket open, the
first message from the server, and the page shown (its title drawn and Streamlit's running indicator gone).
Cold imports are timed in a fresh interpreter in each tree. Timing is wall clock on a shared machine: read
the figures side by side, not against a fixed goal.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.screenshot_dashboard import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402

PAGES = {"Leaderboard": "", "Compare": "compare", "History": "history", "Questions": "questions",
         "Calibration": "calibration", "Robustness & bias": "robustness", "Slices & items": "slices", "Runs": "runs",
         "Answers (K-QA)": "answers", "Submit": "submit", "About": "about"}  # fmt: skip
IMPORTS = ["streamlit", "polars", "duckdb", "plotly.graph_objects", "scipy.stats", "statsmodels.stats.multitest",
           "pipeline.metrics", "dashboard.data", "dashboard.widgets", "dashboard.charts"]  # fmt: skip
RUNNING = '[data-testid="stStatusWidget"]'
# Shown: the main area has a title other than the page before's, and no script is running.
READY = """previous => {
    const title = document.querySelector('[data-testid="stMain"] h1');
    return title !== null && title.innerText !== previous && document.querySelector('%s') === null;
}""" % RUNNING.replace("'", '"')  # noqa: UP031


def import_seconds(tree: Path, module: str) -> float:
    """Seconds to import `module` from `tree` in a fresh interpreter (what a cold server pays once)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def baseline_tree(revision: str) -> Iterator[Path]:
    """`revision` checked out (detached) into a temporary git worktree, removed afterwards."""
    where = Path(tempfile.mkdtemp(prefix="medlb-baseline-")) / "tree"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), revision], check=True)
    try:
        yield where
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(where)], check=False)


@contextlib.contextmanager
def served(tree: Path, warehouse: Path, log: Path) -> Iterator[str]:
    """`streamlit run dashboard/app.py` of `tree` on a free loopback port; yields its URL once healthy."""
    port = free_port()
    stores = {"MEDLB_WAREHOUSE": str(warehouse), "MEDLB_QUEUE": str(log.with_suffix(".queue.sqlite"))}  # not ./
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | stores
    command = [sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.headless=true",
               f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"]  # fmt: skip
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=tree, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                if reply.status == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start in {tree}:\n{log.read_text()}")
            time.sleep(0.25)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def title_of(page) -> str:
    title = page.locator('[data-testid="stMain"] h1')
    return title.first.inner_text() if title.count() else ""


def shown(page, started: float, previous: str = "") -> float:
    """Seconds from `started` until the page is shown; a running indicator that comes back within 150 ms
    (a rerun) means it was not yet."""
    while True:
        page.wait_for_function(READY, arg=previous, polling=20, timeout=120_000)
        at = time.perf_counter() - started
        page.wait_for_timeout(150)
        if page.locator(RUNNING).count() == 0:
            return at


def direct(page, url: str) -> dict[str, float]:
    """One direct load of `url` in `page`: seconds to the HTML, the websocket, its first message, shown."""
    marks: dict[str, float] = {}
    started = time.perf_counter()

    def on_frame(_) -> None:
        marks.setdefault("first message", time.perf_counter() - started)
        marks["last message"] = time.perf_counter() - started  # the script's last delta, near its end

    def on_websocket(socket) -> None:
        marks.setdefault("websocket", time.perf_counter() - started)
        socket.on("framereceived", on_frame)

    page.on("websocket", on_websocket)
    try:
        page.goto(url, wait_until="domcontentloaded")
        marks["html"] = time.perf_counter() - started
        marks["shown"] = shown(page, started)
        marks["last message"] = min(marks.get("last message", marks["shown"]), marks["shown"])
    finally:
        page.remove_listener("websocket", on_websocket)
    return marks


def between(page, name: str) -> float:
    """One move to page `name` through the sidebar, from the page shown now."""
    previous = title_of(page)
    started = time.perf_counter()
    page.locator('[data-testid="stSidebarNav"] a', has_text=name).first.click()
    return shown(page, started, previous)


def has_page(tree: Path, url_path: str) -> bool:
    """Pages a tree lacks (a baseline from before the page) are left out of the comparison."""
    return f'url_path="{url_path}"' in (tree / "dashboard" / "app.py").read_text() or not url_path


def measure(trees: dict[str, Path], warehouse: Path, rounds: int) -> dict[str, dict]:
    """Every tree served at once; each measurement taken on each tree in turn, the order alternating."""
    from playwright.sync_api import sync_playwright

    pages = {page: path for page, path in PAGES.items() if all(has_page(tree, path) for tree in trees.values())}
    results: dict[str, dict] = {name: {"direct": {}, "first": {}, "between": {}} for name in trees}
    logs = Path(tempfile.mkdtemp(prefix="medlb-page-speed-"))
    with contextlib.ExitStack() as stack:
        urls = {
            name: stack.enter_context(served(tree, warehouse, logs / f"{name}.log")) for name, tree in trees.items()
        }
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tabs = {name: browser.new_page(viewport={"width": 1440, "height": 1000}) for name in trees}
        order = list(trees)
        for name in order:  # each server's very first page: imports, connection and first queries
            results[name]["cold"] = direct(tabs[name], urls[name])["shown"]
        for turn in range(rounds + 1):
            for page_name, path in pages.items():
                for name in order if turn % 2 else order[::-1]:
                    marks = direct(tabs[name], f"{urls[name]}/{path}")
                    if turn == 0:  # a page's first visit runs its own queries; the rest hit the cache
                        results[name]["first"][page_name] = marks["shown"]
                    else:
                        results[name]["direct"].setdefault(page_name, []).append(marks)
        for turn in range(rounds):
            for name in order if turn % 2 else order[::-1]:
                tabs[name].goto(f"{urls[name]}/{pages['About']}", wait_until="domcontentloaded")
                shown(tabs[name], time.perf_counter())
                for page_name in pages:
                    results[name]["between"].setdefault(page_name, []).append(between(tabs[name], page_name))
        browser.close()
    return results


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(results: dict[str, dict], trees: dict[str, Path]) -> None:
    now, base = "this tree", "baseline" if "baseline" in results else None
    pages = list(results[now]["first"])  # the pages every tree has, in PAGES order

    def ratio(a: float, b: float | None) -> str:
        return f"{a / b:6.2f}" if b else "     –"

    print("\ncold imports, fresh interpreter (s):")
    for module in IMPORTS:
        here = import_seconds(trees[now], module)
        there = import_seconds(trees[base], module) if base else None
        print(f"  {module:30} {here:6.2f}" + (f"  baseline {there:6.2f}  ratio {ratio(here, there)}" if base else ""))
    print(f"\ncold first load (fresh server, Leaderboard): {results[now]['cold']:.2f} s", end="")
    print(
        f"  baseline {results[base]['cold']:.2f} s  ratio {ratio(results[now]['cold'], results[base]['cold'])}"
        if base
        else ""
    )
    head = f"{'page':16} {'first':>6} {'direct':>7} {'between':>8}"
    if base:
        head += f" | {'first':>6} {'direct':>7} {'between':>8} | {'direct':>6} {'between':>7}"
    print("\nseconds; median of the rounds. this tree" + (" | baseline | ratio this/baseline" if base else ""))
    print(head)
    rows = {}
    for name in (now, base) if base else (now,):
        rows[name] = {
            page: (
                results[name]["first"][page],
                median([m["shown"] for m in results[name]["direct"][page]]),
                median(results[name]["between"][page]),
            )
            for page in pages
        }
    for page in pages:
        first, shown_at, moved = rows[now][page]
        line = f"{page:16} {first:6.2f} {shown_at:7.2f} {moved:8.2f}"
        if base:
            b_first, b_shown, b_moved = rows[base][page]
            line += f" | {b_first:6.2f} {b_shown:7.2f} {b_moved:8.2f} | {ratio(shown_at, b_shown)} {ratio(moved, b_moved):>7}"
        print(line)
    print("\nwhere a direct load's time goes, this tree: seconds from the request (median) to the HTML, the")
    print("websocket open, the server's first and last message (the script runs between them), the page shown")
    keys = {
        "html": "html",
        "websocket": "socket",
        "first message": "1st msg",
        "last message": "last msg",
        "shown": "shown",
    }
    print(f"  {'page':16}" + "".join(f"{label:>9}" for label in keys.values()))
    for page in pages:
        marks = results[now]["direct"][page]
        print(f"  {page:16}" + "".join(f"{median([m.get(k, float('nan')) for m in marks]):9.2f}" for k in keys))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("warehouse", nargs="?", type=Path, help="default: the fixture warehouse, built afresh")
    parser.add_argument("--baseline", help="a git revision to measure beside this tree (e.g. d92d0fa)")
    parser.add_argument("--rounds", type=int, default=3, help="direct loads and moves per page (default 3)")
    args = parser.parse_args()
    if args.warehouse:
        warehouse, which = args.warehouse.resolve(), str(args.warehouse)
    else:
        from tests.fixtures.warehouse import build_fixture_warehouse

        warehouse, which = build_fixture_warehouse(Path(tempfile.mkdtemp()) / "fixture.duckdb"), "fixture"
    print(f"warehouse: {which}; rounds: {args.rounds}; baseline: {args.baseline or 'none'}")
    with contextlib.ExitStack() as stack:
        trees = {"this tree": ROOT}
        if args.baseline:
            trees["baseline"] = stack.enter_context(baseline_tree(args.baseline))
        report(measure(trees, warehouse, args.rounds), trees)


if __name__ == "__main__":
    main()
