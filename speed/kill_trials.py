"""kill -9 trials of tests/fuzz/kill.py at full size: 20 killed `medlb import lm-eval` and 20 killed `medlb eval`.

    .venv/bin/python speed/kill_trials.py [--eval-trials 20] [--import-trials 20] [--inside-trials 5]
        [--limit 40] [--seed 0]

Each trial kills the command at a random point (seeded), runs it again, and compares the warehouse with a
clean run's: predictions lost, stored twice or different, runs and questions, rows recorded before the
command lost. The eval is the real SmolLM2-135M-Instruct on the first --limit questions of
mmlu_medical_genetics (batch size 2, so written 16 at a time: a kill can land between writes); the import
is the lm-eval fixture output onto a warehouse that already holds another run (synthetic, written through
warehouse.writer), killed at random points and then --inside-trials times inside its one transaction
(tests/fuzz/kill.py transaction_trial). Prints one line per trial and the outcome per kind; exit status 1
if any fails.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz import kill


def show(number: int, trial: kill.Trial) -> None:
    moment = f"killed at {trial.kill_after:5.1f}s" if trial.killed else f"ended before {trial.kill_after:5.1f}s"
    verdict = "ok" if not trial.problems else "FAIL " + "; ".join(trial.problems)
    print(f"  trial {number:2d}: {moment}, {trial.rows_at_kill:3d} predictions at the kill -> {verdict}", flush=True)


def report(kind: str, reference: kill.Reference, trials: list[kill.Trial], shown: bool = False) -> bool:
    print(
        f"{kind}: clean run {reference.total:.1f}s, writes the warehouse from {reference.first_write:.1f}s "
        f"to {reference.last_write:.1f}s"
    )
    for number, trial in enumerate(trials):
        if not shown:
            show(number, trial)
    killed = sum(t.killed for t in trials)
    mid = sum(t.killed and t.rows_at_kill > 0 for t in trials)
    failed = sum(bool(t.problems) for t in trials)
    print(f"{kind}: {len(trials)} trials, {killed} killed ({mid} after writing began), {failed} failed")
    return failed == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-trials", type=int, default=20)
    parser.add_argument("--import-trials", type=int, default=20)
    parser.add_argument("--inside-trials", type=int, default=5, help="imports killed inside their transaction")
    parser.add_argument("--limit", type=int, default=40, help="questions; the eval writes every 16 (batch 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kill-trials-") as tmp:
        folder = Path(tmp)
        ok = True
        if args.import_trials:
            base = kill.resident_warehouse(folder / "base.duckdb")
            print("medlb import lm-eval (36 predictions, 9 tasks), trials as they end:", flush=True)
            reference, imports = kill.import_trials(folder, base, args.import_trials, args.seed, done=show)
            ok = report("medlb import lm-eval (36 predictions, 9 tasks)", reference, imports, shown=True)
            for number in range(args.inside_trials):
                warehouse = folder / f"inside-{number}.duckdb"
                shutil.copy(base, warehouse)
                inside = kill.transaction_trial(kill.import_args(warehouse), warehouse, reference)
                verdict = "ok" if not inside.problems else "FAIL " + "; ".join(inside.problems)
                print(f"  killed inside the transaction, before its commit, trial {number}: {verdict}", flush=True)
                ok &= not inside.problems
        if not args.eval_trials:
            return 0 if ok else 1
        print(f"medlb eval ({kill.EVAL_TASK}, {args.limit} questions), trials as they end:", flush=True)
        reference, evals = kill.eval_trials(folder, args.eval_trials, args.seed, args.limit, done=show)
        ok &= report(f"medlb eval ({kill.EVAL_TASK}, {args.limit} questions)", reference, evals, shown=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
