"""The command line of open-ended tasks: `medlb eval --tasks kqa [--judge MODEL]`, `medlb judge`, `medlb judge-check`.

pipeline/cli.py calls the three hooks below (arguments, commands, dispatch); everything else is here.
"""

from __future__ import annotations

import argparse
from dataclasses import replace

from pipeline.backends.base import DEFAULT_MAX_NEW_TOKENS  # light: no backend, no torch

JUDGE_MODES = ("auto", "loglikelihood", "generative")


def add_eval_arguments(ev: argparse.ArgumentParser) -> None:
    ev.add_argument(
        "--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS, help="open-ended tasks: answer length cap"
    )
    ev.add_argument("--temperature", type=float, default=0.0, help="open-ended tasks: 0 = greedy (default)")
    ev.add_argument("--seed", type=int, default=0, help="open-ended tasks: sampling seed when --temperature > 0")
    add_judge_arguments(ev, required=False)


def add_judge_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--judge", required=required, help="judge model: same sources as --model")
    parser.add_argument("--judge-backend", default="transformers", help="transformers | openai")
    parser.add_argument("--judge-revision", help="hub commit, branch or tag of the judge")
    parser.add_argument("--judge-gguf-file", help="GGUF file name inside --judge's folder")
    parser.add_argument("--judge-base-url", help="OpenAI-compatible server of the judge")
    parser.add_argument("--judge-mode", default="auto", choices=JUDGE_MODES, help="auto: loglikelihood where it can")
    parser.add_argument("--judge-batch-size", type=int, default=8)


def add_commands(commands, add_ray) -> None:
    """`add_ray(parser)`: cli.py's --ray options (the judge model in Ray actors)."""
    judge = commands.add_parser("judge", help="judge (or re-judge) an open-ended run's answers with a judge model")
    judge.add_argument("--run", required=True, help="the generation run's id")
    add_judge_arguments(judge, required=True)
    judge.add_argument("--warehouse")
    judge.add_argument("--no-progress", action="store_true")
    add_ray(judge)
    check = commands.add_parser("judge-check", help="measure a judge's agreement with K-QA's physicians")
    add_judge_arguments(check, required=True)
    check.add_argument("--limit", type=int, help="first N of the 399 labelled pairs (a quick check)")
    check.add_argument("--warehouse")
    check.add_argument("--no-progress", action="store_true")
    add_ray(check)


def split(config):
    """(the config for multiple-choice tasks, the config for open-ended ones or None)."""
    from pipeline import benchmarks

    open_tasks = [t for t in config.tasks if benchmarks.get_task(t).open_ended]
    choice = replace(config, tasks=[t for t in config.tasks if t not in open_tasks])
    return choice, (replace(config, tasks=open_tasks) if open_tasks else None)


def make_judge(args, ray: dict | None = None):
    """The judge of --judge and its options; with `ray` (cli.py's --ray settings), its model in Ray actors."""
    from pipeline.backends import create_backend
    from pipeline.judging.judge import Judge

    options = {"model": args.judge, "revision": args.judge_revision}
    if args.judge_backend == "transformers":
        options.update(gguf_file=args.judge_gguf_file, batch_size=args.judge_batch_size)
    else:
        options.update(base_url=args.judge_base_url)
    if ray is not None:
        from pipeline.distributed import ray_judge

        return ray_judge(args.judge_backend, options, args.judge_mode, **ray)
    backend = create_backend(args.judge_backend, **options)
    mode = args.judge_mode
    if mode == "auto":
        mode = "loglikelihood" if backend.scoring_mode == "loglikelihood" else "generative"
    return Judge(backend, mode)


def run_eval(args, config, ray: dict | None = None) -> int:
    from pipeline.generation import Sampling, generate_answers

    sampling = Sampling(args.max_new_tokens, args.temperature, args.seed)
    if ray is not None:
        from pipeline.distributed import generate_on_ray

        result = generate_on_ray(config, sampling, **ray, progress=not args.no_progress)
    else:
        result = generate_answers(config, sampling, progress_bar=not args.no_progress)
    print(
        f"generation run {result.run_id} (model version {result.version_id}): answered {result.n_generated}, "
        f"already recorded {result.n_skipped}, failed {result.n_failed}, {result.seconds:.1f}s"
    )
    if args.judge:
        return judge_and_report(args, result.run_id, config.warehouse, ray) or (1 if result.n_failed else 0)
    print("no --judge given: answers stored unjudged; judge them with `medlb judge --run RUN --judge MODEL`")
    return 1 if result.n_failed else 0


def judge_and_report(args, run_id: str, warehouse, ray: dict | None = None) -> int:
    from pipeline.judging.judge import judge_run
    from pipeline.judging.report import format_scores
    from warehouse.db import warehouse_path

    judge = make_judge(args, ray)
    try:
        done, skipped = judge_run(warehouse_path(warehouse), judge, run_id, args.judge_batch_size, not args.no_progress)
    finally:
        judge.backend.close()
    print(
        f"judge {judge.judge_id} ({judge.backend.info.name}, {judge.mode}): judged {done}, already recorded {skipped}"
    )
    print(format_scores(warehouse_path(warehouse), judge.judge_id, run_id))
    return 0


def dispatch(args, ray: dict | None = None) -> int | None:
    """Runs the `judge` and `judge-check` commands (`ray`: cli.py's --ray settings); None for any other command."""
    if args.command == "judge":
        return judge_and_report(args, args.run, args.warehouse, ray)
    if args.command == "judge-check":
        from pipeline.judging.check import format_check, judge_check
        from warehouse.db import warehouse_path

        judge = make_judge(args, ray)
        try:
            results = judge_check(
                warehouse_path(args.warehouse), judge, args.limit, args.judge_batch_size, not args.no_progress
            )
        finally:
            judge.backend.close()
        print(f"judge {judge.judge_id} ({judge.backend.info.name}, {judge.mode}) against K-QA's physicians:")
        print(format_check(results))
        return 0
    return None
