"""kill -9 trials of a K-QA run on Ray: the driver of `medlb eval --tasks kqa --judge ... --ray ADDRESS` is
killed at a random point, the same command is run again, and the warehouse is compared with a clean run's.

    .venv/bin/python speed/ray_kill_trials.py [--trials 5] [--limit 2] [--new 8] [--seed 0]

One Ray instance (2 CPUs) is started by this script and every command connects to it by address, as a user
on a cluster would; each command starts its own 2 actors of the real SmolLM2-135M-Instruct, which answer
the first --limit K-QA questions (batch size 1: one unit per question) and then judge every (answer,
statement, relation) pair by log-likelihood, 2 pairs per unit. Only the driver is killed (its process
group): the actors are Ray's processes, and Ray ends them with their driver's job, as it does when a user's
driver dies.

A trial passes when, after the rerun, the warehouse holds exactly the clean run's generations (same texts
and token counts) and judgments (same verdicts, probabilities within 1e-4), none twice, one complete run,
and every row written before the kill is still there unchanged. Kill points follow tests/fuzz/kill.py: a
quarter before the first write (Ray connection, actor start, model load), the rest just after the k-th
change to the warehouse file or its WAL, k uniform over the clean run's changes. Prints one line per
trial and the outcome; exit status 1 if any fails.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.kill import MODEL, KillPoint, Reference, clean_run, kill_point, start_and_kill  # noqa: E402
from tests.helpers import ROOT, query  # noqa: E402

GENERATIONS = "SELECT run_id, question_id, output, status, output_tokens FROM generations ORDER BY ALL"
JUDGMENTS = (
    "SELECT judge_id, run_id, question_id, statement_id, relation, verdict, probability FROM judgments ORDER BY ALL"
)
RUNS = "SELECT run_id, status FROM runs ORDER BY ALL"


def command(warehouse: Path, address: str, limit: int, new: int) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "eval", "--model", MODEL, "--tasks", "kqa",
            "--limit", str(limit), "--max-new-tokens", str(new), "--batch-size", "1", "--judge", MODEL,
            "--judge-batch-size", "2", "--ray", address, "--ray-actors", "2", "--warehouse", str(warehouse),
            "--no-progress"]  # fmt: skip


def start(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", RAY_enable_metrics_collection="0")
    return subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)  # fmt: skip


def finish(args: list[str]) -> None:
    proc = start(args)
    _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise AssertionError(f"rerun failed ({proc.returncode}): {stderr[-2000:]}")


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    return {"generations": query(warehouse, GENERATIONS), "judgments": query(warehouse, JUDGMENTS),
            "runs": query(warehouse, RUNS)}  # fmt: skip


def differences(found: dict[str, list[tuple]], clean: dict[str, list[tuple]]) -> list[str]:
    problems = []
    if found["runs"] != clean["runs"]:
        problems.append(f"runs {found['runs']}, clean run {clean['runs']}")
    if found["generations"] != clean["generations"]:
        problems.append(
            f"{len(found['generations'])} generations differ from the clean run's {len(clean['generations'])}"
        )
    keys = [row[:5] for row in found["judgments"]]
    if len(keys) != len(set(keys)):
        problems.append(f"{len(keys) - len(set(keys))} judgments stored twice")
    want = {row[:5]: row for row in clean["judgments"]}
    got = {row[:5]: row for row in found["judgments"]}
    if set(got) != set(want):
        problems.append(f"{len(set(want) - set(got))} judgments lost, {len(set(got) - set(want))} extra")
    for key in set(got) & set(want):
        (*_, verdict, p), (*_, clean_verdict, clean_p) = got[key], want[key]
        if verdict != clean_verdict or not math.isclose(p or 0, clean_p or 0, abs_tol=1e-4):
            problems.append(f"{key[3:]}: {verdict} {p}, clean run {clean_verdict} {clean_p}")
    return problems


def trial(args: list[str], warehouse: Path, reference: Reference, point: KillPoint) -> tuple[float, str, list[str]]:
    killed_at, killed = start_and_kill(
        start, args, warehouse, point, kill=lambda proc: os.killpg(proc.pid, signal.SIGKILL)
    )
    written = snapshot(warehouse) if warehouse.exists() else {"generations": [], "judgments": [], "runs": []}
    state = f"{len(written['generations'])} answers, {len(written['judgments'])} verdicts at the kill"
    finish(args)
    after = snapshot(warehouse)
    problems = differences(after, reference.state)
    for table in ("generations", "judgments"):  # what the killed driver wrote stays as it was
        if lost := set(written[table]) - set(after[table]):
            problems.append(f"{len(lost)} {table} rows written before the kill changed or vanished")
    return killed_at, ("killed" if killed else "ended first") + f", {state}", problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--limit", type=int, default=2, help="K-QA questions (kqa/0 and kqa/1: 23 statements)")
    parser.add_argument("--new", type=int, default=8, help="max new tokens per answer")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import ray

    os.environ.setdefault("RAY_enable_metrics_collection", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=128 * 1024 * 1024)
    address = ray.get_runtime_context().gcs_address
    failed = 0
    with tempfile.TemporaryDirectory(prefix="ray-kill-") as tmp:
        clean = Path(tmp) / "clean.duckdb"
        reference = clean_run(command(clean, address, args.limit, args.new), clean, launch=start, state=snapshot)
        state = reference.state
        print(f"clean run on Ray {address}: {reference.total:.1f}s, {len(state['generations'])} answers, "
              f"{len(state['judgments'])} verdicts, {reference.changes} writes seen from {reference.first_write:.1f}s "
              f"to {reference.last_write:.1f}s", flush=True)  # fmt: skip
        rng = random.Random(args.seed)
        for number in range(args.trials):
            warehouse = Path(tmp) / f"trial-{number}.duckdb"
            point = kill_point(rng, reference)
            at, what, problems = trial(command(warehouse, address, args.limit, args.new), warehouse, reference, point)
            failed += bool(problems)
            verdict = "ok" if not problems else "FAIL " + "; ".join(problems[:5])
            print(f"  trial {number}: at {at:5.1f}s {what} -> {verdict}", flush=True)
    ray.shutdown()
    print(f"{args.trials} trials, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
