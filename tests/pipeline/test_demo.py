"""The demo path (`medlb demo --no-serve`) on the real packaged models, with a tiny sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipeline import benchmarks
from pipeline.demo import DEMO_MODELS, DEMO_TASKS, KQA_CHECK_PAIRS, KQA_QUESTIONS
from warehouse import queue

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
    env = {k: v for k, v in os.environ.items() if k != queue.ENV_VAR}  # the queue goes next to the warehouse
    first = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    con = duckdb.connect(str(path), read_only=True)
    try:
        versions = con.execute(
            "SELECT v.model_id, v.variant, v.label, v.revision, count(DISTINCT p.question_id) "
            "FROM model_versions v JOIN runs r USING (version_id) JOIN predictions p USING (run_id) "
            "WHERE r.status = 'complete' GROUP BY ALL ORDER BY v.model_id, v.variant"
        ).fetchall()
        tasks = con.execute("SELECT DISTINCT task FROM predictions ORDER BY task").fetchall()
        [smol_run] = con.execute(
            "SELECT r.run_id, v.revision FROM runs r JOIN model_versions v USING (version_id) "
            "WHERE v.model_id = 'HuggingFaceTB/SmolLM2-135M-Instruct' AND v.variant = '' "
            "AND r.run_id IN (SELECT run_id FROM predictions)"  # its multiple-choice run, not its K-QA answers
        ).fetchall()
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
    assert_kqa_answered_judged_and_checked(path)

    store = tmp_path / "medlb-queue.sqlite"
    requests = assert_one_done_one_pending(store, smol_run)
    assert f"MEDLB_QUEUE={store} medlb worker --once --warehouse {path}" in first.stdout

    second = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already in the warehouse") == len(DEMO_MODELS) + 1  # + K-QA, no model loaded
    assert f"K-QA: {PER_TASK} answers, judged and checked: already in the warehouse" in second.stdout
    assert "imported 0 physician-judged answers of 4 models, 0 new verdicts" in second.stdout
    assert assert_one_done_one_pending(store, smol_run).equals(requests)  # nothing queued twice
    photograph_demo_leaderboard(path, tmp_path)


def assert_kqa_answered_judged_and_checked(path):
    """SmolLM2's answers to the K-QA sample (min(5, per-task) questions), two verdicts per gold statement of
    those questions from its own log-likelihood judge, and that judge's check on the first pairs."""
    sample = [q.id for q in benchmarks.demo_sample("kqa", min(KQA_QUESTIONS, PER_TASK))]
    statements = sum(len(i.criteria) for i in benchmarks.open_questions("kqa") if i.id in sample)
    con = duckdb.connect(str(path), read_only=True)
    try:
        answers = con.execute(
            "SELECT g.question_id, g.status, r.status FROM generations g JOIN runs r USING (run_id) "
            "JOIN model_versions v USING (version_id) WHERE v.label = $label AND v.variant = '' ORDER BY 1",
            {"label": DEMO_MODELS[0].label},
        ).fetchall()
        verdicts = con.execute(
            "SELECT j.verdict, count(*) FROM judgments j JOIN judges d USING (judge_id) "
            "WHERE d.mode = 'loglikelihood' AND j.run_id <> 'kqa-judge-set' GROUP BY ALL"
        ).fetchall()
        checks = con.execute("SELECT relation, n_pairs FROM judge_checks ORDER BY relation").fetchall()
    finally:
        con.close()
    assert answers == [(qid, "ok", "complete") for qid in sorted(sample)]
    assert sum(n for verdict, n in verdicts if verdict in ("true", "false")) == 2 * statements
    assert checks == [("contradicts", KQA_CHECK_PAIRS), ("entails", KQA_CHECK_PAIRS)]


def assert_one_done_one_pending(store, smol_run):
    """The demo's queue: its SmolLM2 run recorded as a done request, and a real submission pending."""
    requests = queue.list_requests(store)
    rows = requests.select("status", "model_id", "revision", "tasks", "run_id").rows()
    run_id, revision = smol_run
    assert rows == [
        (
            "pending",
            "HuggingFaceTB/SmolLM2-135M-Instruct",
            "5a33ba103645800d7b3790c4448546c1b73efc71",
            "pubmedqa",
            None,
        ),
        ("done", "HuggingFaceTB/SmolLM2-135M-Instruct", revision, ",".join(sorted(DEMO_TASKS)), run_id),
    ]
    return requests


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
