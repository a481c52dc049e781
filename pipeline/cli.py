"""`medlb`: evaluate models into the warehouse, run the demo, import and export results."""

from __future__ import annotations

import argparse
import sys
from contextlib import nullcontext
from pathlib import Path

from pipeline import open_cli
from pipeline.dashboard_server import serve_dashboard
from warehouse.db import ENV_VAR, warehouse_path
from warehouse.errors import MedlbError

LOCAL_RAY = "local"  # `--ray` given without an address


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard takes i/n, e.g. 1/4, not {text!r}") from None
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--shard {text}: i must be between 1 and n")
    return index, count


def _at_least(minimum: int):
    """An argparse type: an integer no smaller than `minimum`."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


def _add_warehouse(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--warehouse", help=f"DuckDB file (default: ${ENV_VAR} or ./medlb.duckdb)")


def _add_ray(parser: argparse.ArgumentParser) -> None:
    """--ray and its sizing (pipeline/distributed/, the optional extra medlb[ray])."""
    group = parser.add_argument_group("Ray (pip install 'medlb[ray]')")
    group.add_argument(
        "--ray",
        nargs="?",
        const=LOCAL_RAY,
        metavar="ADDRESS",
        help="run the models in Ray actors: alone, on a Ray instance started here; with host:port or 'auto', on that "
        "cluster",
    )
    group.add_argument("--ray-actors", type=_at_least(1), help="actors (default: one per GPU, else one per CPU)")
    group.add_argument("--ray-cpus-per-actor", type=_at_least(1), default=1, help="CPUs per actor without GPUs")


def _ray_settings(args: argparse.Namespace) -> dict | None:
    """The Ray entry points' address, actors and cpus_per_actor; None without --ray."""
    if getattr(args, "ray", None) is None:
        return None
    address = None if args.ray == LOCAL_RAY else args.ray
    return {"address": address, "actors": args.ray_actors, "cpus_per_actor": args.ray_cpus_per_actor}


def _ray_session(args: argparse.Namespace, ray: dict | None):
    """One Ray connection for a whole `eval` (generation, judging, scoring: a local instance starts once),
    after refusing the backends that need no actors."""
    if ray is None:
        return nullcontext()
    from pipeline.distributed.cluster import connect
    from pipeline.distributed.pool import refuse_server_backends

    refuse_server_backends(args.backend)
    if args.judge:
        refuse_server_backends(args.judge_backend)
    return connect(ray["address"])


def _add_queue_commands(commands) -> None:
    """`medlb submit` and `medlb worker`: the leaderboard's request queue (warehouse/queue.py)."""
    from pipeline.submissions import MODEL_TYPES, PRECISIONS
    from warehouse.queue import ENV_VAR as QUEUE_ENV_VAR

    queue_help = f"request store, an SQLite file (default: ${QUEUE_ENV_VAR} or ./medlb-queue.sqlite)"
    sub = commands.add_parser("submit", help="queue a model for evaluation by `medlb worker`")
    sub.add_argument("--model", required=True, help="hub id, owner/name")
    sub.add_argument("--revision", default="main", help="commit sha, or a branch/tag resolved on the hub")
    sub.add_argument("--precision", default="float32", choices=PRECISIONS)
    sub.add_argument("--model-type", default="pretrained", choices=MODEL_TYPES)
    sub.add_argument("--tasks", default="omll", help="comma list of tasks or groups")
    sub.add_argument("--notes", default="")
    sub.add_argument("--queue", help=queue_help)

    work = commands.add_parser("worker", help="evaluate queued requests into the warehouse, oldest first")
    work.add_argument("--once", action="store_true", help="process at most one request, then exit")
    work.add_argument("--limit", type=_at_least(1), help="first N questions per task (a trial, not a leaderboard run)")
    work.add_argument("--poll", type=float, default=10.0, help="seconds between looks at an empty queue")
    work.add_argument("--no-progress", action="store_true")
    work.add_argument("--queue", help=queue_help)
    _add_warehouse(work)
    _add_ray(work)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medlb", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    ev = commands.add_parser("eval", help="evaluate a model on benchmark tasks into the warehouse")
    ev.add_argument("--model", required=True, help="hub id, local folder, .gguf file, packaged alias, or API model")
    ev.add_argument("--tasks", default="omll", help="comma list of tasks or groups (omll = the nine)")
    ev.add_argument("--backend", default="transformers", help="transformers | openai")
    ev.add_argument("--revision", help="hub commit, branch or tag to load")
    ev.add_argument("--gguf-file", help="GGUF file name inside --model's folder")
    ev.add_argument("--limit", type=int, help="first N questions per task")
    ev.add_argument("--shard", type=_shard, help="i/n: evaluate a deterministic 1/n of the questions")
    ev.add_argument("--shots", type=int, default=0, help="few-shot examples from the task's dev split")
    ev.add_argument("--batch-size", type=int, default=16)
    ev.add_argument("--dtype", default="float32")
    ev.add_argument("--device", default="cpu")
    ev.add_argument("--variant", default="", help="e.g. int8-dynamic: a quantized copy of the same weights")
    ev.add_argument("--label", default="", help="human label for this model version")
    ev.add_argument("--source", default="local", choices=["local", "hub"], help="benchmark data source")
    ev.add_argument("--permute-options", type=int, default=0, metavar="N", help="also ask N cyclic option permutations")
    ev.add_argument("--bias-probe", action="store_true", help="also ask counterfactual MedQA vignettes")
    ev.add_argument("--base-url", help="OpenAI-compatible server, e.g. http://localhost:8000/v1")
    ev.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY); never stored")
    ev.add_argument("--scoring-mode", default="auto", choices=["auto", "loglikelihood", "generative"])
    ev.add_argument("--concurrency", type=int, default=8)
    ev.add_argument("--prices", help="JSON price table for API cost")
    ev.add_argument("--no-progress", action="store_true")
    open_cli.add_eval_arguments(ev)  # open-ended tasks (kqa): answer length, sampling, --judge
    _add_warehouse(ev)
    _add_ray(ev)

    demo = commands.add_parser("demo", help="evaluate the packaged models on a sample and open the dashboard")
    demo.add_argument("--per-task", type=_at_least(0), default=25)
    demo.add_argument("--full", action="store_true", help="all questions of the nine tasks, plus Qwen2.5-Coder-1.5B")
    demo.add_argument("--no-serve", action="store_true", help="fill the warehouse, do not start the dashboard")
    demo.add_argument("--port", type=int, default=8501)
    demo.add_argument("--warehouse", default=None, help="default: demo/medlb-demo.duckdb")
    demo.add_argument("--queue", default=None, help="request store (default: $MEDLB_QUEUE, else next to the warehouse)")

    imp = commands.add_parser("import", help="bring results from elsewhere into the warehouse")
    kinds = imp.add_subparsers(dest="kind", required=True)
    lm = kinds.add_parser(
        "lm-eval", help="lm-evaluation-harness output: --log_samples, or a results JSON alone (aggregate only)"
    )
    lm.add_argument("path", type=Path)
    _add_warehouse(lm)
    bundle = kinds.add_parser("bundle", help="Parquet run bundles written by `medlb export`")
    bundle.add_argument("paths", type=Path, nargs="+")
    _add_warehouse(bundle)
    reported = kinds.add_parser("reported", help="scores from papers or model cards: a CSV with a citation column")
    reported.add_argument("path", type=Path)
    _add_warehouse(reported)
    physicians = kinds.add_parser("kqa-physicians", help="K-QA's physician-judged GPT-4/GPT-3.5/Bard/K Health answers")
    _add_warehouse(physicians)

    exp = commands.add_parser("export", help="write runs as self-describing Parquet bundles")
    exp.add_argument("--run", dest="runs", action="append", required=True, help="run id (repeatable)")
    exp.add_argument("--out", type=Path, required=True)
    _add_warehouse(exp)

    _add_queue_commands(commands)

    dash = commands.add_parser("dashboard", help="start the Streamlit dashboard on the warehouse")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--host", default="127.0.0.1", help="interface to listen on (0.0.0.0: every interface)")
    _add_warehouse(dash)
    open_cli.add_commands(commands, _add_ray)  # judge, judge-check
    return parser


def cmd_eval(args: argparse.Namespace) -> int:
    from pipeline import benchmarks
    from pipeline.run import EvalConfig, evaluate, format_summary

    perturbations = []
    if args.permute_options:
        perturbations.append(f"perm:{args.permute_options}")
    if args.bias_probe:
        perturbations.append("bias")
    backend_options = {}
    if args.backend == "openai":
        backend_options = {
            "base_url": args.base_url,
            "api_key": args.api_key,
            "scoring_mode": args.scoring_mode,
            "concurrency": args.concurrency,
        }
        if args.prices:
            backend_options["prices"] = args.prices  # the backend reads the file, with clear errors
    config = EvalConfig(
        model=args.model,
        tasks=benchmarks.resolve_tasks(args.tasks),
        backend=args.backend,
        warehouse=args.warehouse,
        revision=args.revision,
        gguf_file=args.gguf_file,
        limit=args.limit,
        shard=args.shard,
        num_fewshot=args.shots,
        batch_size=args.batch_size,
        dtype=args.dtype,
        device=args.device,
        variant=args.variant,
        label=args.label,
        source=args.source,
        perturbations=tuple(perturbations),
        backend_options=backend_options,
    )
    config, open_config = open_cli.split(config)
    ray = _ray_settings(args)
    with _ray_session(args, ray):
        open_code = open_cli.run_eval(args, open_config, ray) if open_config else 0
        if not config.tasks:
            return open_code
        if ray is not None:
            from pipeline.distributed import evaluate_on_ray

            result = evaluate_on_ray(config, **ray, progress=not args.no_progress)
        else:
            result = evaluate(config, progress=not args.no_progress)
    print(format_summary(result))
    print(f"results in {warehouse_path(args.warehouse)}")
    return open_code or (0 if result.n_failed == 0 else 1)


def cmd_submit(args: argparse.Namespace) -> int:
    from pipeline.submissions import validate
    from warehouse import queue

    request = validate(args.model, args.revision, args.precision, args.model_type, args.tasks, args.notes)
    request_id, existing = queue.submit(request, args.queue)
    if existing:
        print(f"refused: request {request_id} for the same model, commit, precision and tasks is {existing}")
        return 1
    print(f"request {request_id} queued: {request.model_id}@{request.revision} in {queue.queue_path(args.queue)}")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from pipeline.worker import work

    ray = _ray_settings(args)
    return work(args.queue, args.warehouse, ray, args.once, args.limit, args.poll, not args.no_progress)


def cmd_import(args: argparse.Namespace) -> int:
    if args.kind == "kqa-physicians":
        from pipeline.judging.physicians import import_physicians

        print(import_physicians(args.warehouse).summary())
        return 0
    if args.kind == "lm-eval":
        from pipeline.importers.lm_eval import import_lm_eval

        report = import_lm_eval(args.warehouse, args.path)
    elif args.kind == "reported":
        from pipeline.importers.reported import import_reported

        report = import_reported(args.warehouse, args.path)
    else:
        from pipeline.bundles import import_bundles

        report = import_bundles(args.warehouse, list(args.paths))
    print(report.summary())
    return 1 if report.refused else 0


def cmd_export(args: argparse.Namespace) -> int:
    from pipeline.bundles import export_runs

    for path in export_runs(args.warehouse, args.runs, args.out):
        print(path)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(
        per_task=args.per_task,
        full=args.full,
        serve=not args.no_serve,
        port=args.port,
        warehouse=args.warehouse,
        queue_file=args.queue,
    )


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "eval":
            return cmd_eval(args)
        if args.command == "import":
            return cmd_import(args)
        if args.command == "export":
            return cmd_export(args)
        if args.command == "demo":
            return cmd_demo(args)
        if (code := open_cli.dispatch(args, _ray_settings(args))) is not None:
            return code
        if args.command in ("submit", "worker"):
            return cmd_submit(args) if args.command == "submit" else cmd_worker(args)
        return serve_dashboard(warehouse_path(args.warehouse), args.port, args.host)
    except KeyboardInterrupt:
        print("\ninterrupted: what was written stays; rerun the same command to resume", file=sys.stderr)
        return 130
    except MedlbError as exc:  # the user's input or situation: the message says what to do, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # Anything else is a bug in medlb and shows its traceback.


if __name__ == "__main__":
    sys.exit(main())
