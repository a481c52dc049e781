"""The demo path (`medlb demo --no-serve`) on the real packaged models, with a tiny sample."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import benchmarks
from pipeline.demo import DEMO_MODELS, DEMO_TASKS

pytestmark = pytest.mark.slow
PER_TASK = 1


def test_demo_fills_the_warehouse_then_reuses_it(tmp_path):
    path = tmp_path / "demo.duckdb"
    cmd = [
        sys.executable,
        "-m",
        "pipeline.cli",
        "demo",
        "--no-serve",
        "--per-task",
        str(PER_TASK),
        "--warehouse",
        str(path),
    ]
    first = subprocess.run(cmd, capture_output=True, text=True)
    assert first.returncode == 0, first.stdout + first.stderr
    con = duckdb.connect(str(path), read_only=True)
    try:
        versions = con.execute(
            "SELECT v.model_id, v.variant, v.label, v.revision, count(DISTINCT p.question_id) "
            "FROM model_versions v JOIN runs r USING (version_id) JOIN predictions p USING (run_id) "
            "WHERE r.status = 'complete' GROUP BY ALL ORDER BY v.model_id, v.variant"
        ).fetchall()
        tasks = con.execute("SELECT DISTINCT task FROM predictions ORDER BY task").fetchall()
    finally:
        con.close()
    n_questions = sum(len(benchmarks.demo_sample(t, PER_TASK)) for t in DEMO_TASKS)
    assert [(m, v) for m, v, *_ in versions] == [
        ("HuggingFaceTB/SmolLM2-135M-Instruct", ""),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "int8-dynamic"),
        ("google/gemma-3-270m", ""),
    ]
    assert len(versions) == len(DEMO_MODELS)
    assert all(count == n_questions for *_, count in versions)
    smol = [row for row in versions if row[0].startswith("HuggingFaceTB")]
    assert smol[0][3] == smol[1][3] and smol[0][3].startswith("sha256:")  # same weights, two honest versions
    assert smol[0][2] != smol[1][2]
    assert [t for (t,) in tasks] == sorted(DEMO_TASKS)
    assert "imported 48 physician-judged answers of 4 models, 770 new verdicts" in first.stdout  # K-QA

    second = subprocess.run(cmd, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already in the warehouse") == len(DEMO_MODELS)
    assert "imported 0 physician-judged answers of 4 models, 0 new verdicts" in second.stdout
    photograph_demo_leaderboard(path, tmp_path)


def photograph_demo_leaderboard(path, tmp_path):
    """The real-browser view of the demo's leaderboard: real models, both SmolLM2 versions listed."""
    from scripts.screenshot_dashboard import CHROMIUM, CHROMIUM_ARGS, dashboard_server, photograph

    if not CHROMIUM.exists():
        pytest.skip("needs Debian's Chromium at /usr/bin/chromium (make browser)")
    from playwright.sync_api import sync_playwright

    out = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots" / "demo-leaderboard.png"
    with dashboard_server(path, tmp_path / "streamlit.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            errors = photograph(
                browser, url, ["Open Medical-LLM Leaderboard", "SmolLM2-135M-Instruct", "gemma-3-270m"], out
            )
        finally:
            browser.close()
    assert errors == []
