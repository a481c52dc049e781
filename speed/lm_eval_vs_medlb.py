"""`medlb eval` against lm-evaluation-harness itself, on the same converted weights, and against the CPU's peak.

    .venv/bin/python speed/lm_eval_vs_medlb.py [--limit N] [--lm-eval-batch-sizes 1,8] [--batch-size 16]
        [--tasks omll] [--model smollm2-135m-instruct] [--threads N] [--work DIR]

In one run, task by task:
  lm-eval    lm-eval==0.4.13 in its own virtualenv (built once under MEDLB_SPEED_CACHE, default
             ~/.cache/medlb-speed, with this venv's torch and transformers pinned), its built-in task YAMLs
             pointed at the vendored files (`dataset_path: json`), the `hf` model on the converted
             safetensors folder medlb caches for the model; one long-lived worker per batch size
             (speed/lm_eval_worker.py), so the model loads once, and --log_samples' files are written;
  medlb      pipeline.run.evaluate (what `medlb eval` runs) on the same folder, into a scratch warehouse.
The three run interleaved, one task at a time (lm-eval at each batch size, then medlb), so that load from
other processes falls on all of them alike; only one runs at any moment.

It prints per task and overall: wall time, questions/s, medlb's ratio to each lm-eval configuration, the
share of questions whose predicted option agrees with lm-eval's --log_samples (read with
pipeline.importers.lm_eval, matched by content), and the largest log-likelihood difference.

The same run measures the machine's fp32 matmul rate (torch, the same threads, the model's linear shapes)
and counts model FLOPs: per token 2 x the linear layers' parameters, plus attention (QK^T and AV: 4 x
layers x query width x the positions attended), plus one vocabulary projection per question (the only
logits a letter choice needs), over the tokens each tool has to run (a shared KV prefix runs once). It
prints achieved FLOP/s as a share of that peak. Load averages are printed before and after: on a shared
machine read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import polars as pl  # noqa: E402
import torch  # noqa: E402

import pipeline  # noqa: E402
from pipeline import benchmarks, models, prompts  # noqa: E402
from pipeline.backends import create_backend  # noqa: E402
from pipeline.benchmarks.paths import data_file  # noqa: E402
from pipeline.bundles import export_runs  # noqa: E402
from pipeline.importers.lm_eval import QuestionIndex, checked_samples  # noqa: E402
from pipeline.run import EvalConfig, evaluate  # noqa: E402
from warehouse.records import Question, first_argmax  # noqa: E402

LM_EVAL = "lm-eval==0.4.13"
WORKER = Path(__file__).with_name("lm_eval_worker.py")
REPLY = "MEDLB-SPEED "
MMLU_SUBJECTS = [task.removeprefix("mmlu_") for task in benchmarks.MMLU_TASKS]


# ---------------------------------------------------------------- the lm-eval virtualenv


def cache_root() -> Path:
    return Path(os.environ.get("MEDLB_SPEED_CACHE") or Path.home() / ".cache" / "medlb-speed").expanduser()


def pinned(package: str) -> str:
    """package==the version this venv runs (the public part: torch 2.13.0+cpu -> torch==2.13.0, the CPU wheel)."""
    return f"{package}=={metadata.version(package).split('+')[0]}"


def lm_eval_python() -> Path:
    """The lm-eval venv's python, built once: torch first and pinned (anything else pulls a CUDA build)."""
    venv = cache_root() / "lmeval-venv"
    python, marker = venv / "bin" / "python", venv / ".installed"
    wanted = " ".join([pinned("torch"), LM_EVAL, pinned("transformers"), pinned("accelerate")])
    if marker.is_file() and marker.read_text() == wanted:
        return python
    print(f"building {venv} with {wanted} (once; a few minutes)", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, pinned("torch")], check=True)
    subprocess.run([*pip, *wanted.split()], check=True)
    marker.write_text(wanted)
    return python


# ---------------------------------------------------------------- lm-eval tasks on the vendored files


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def hub_docs(task: str) -> tuple[str, list[dict]]:
    """(split, documents) of a task's vendored file, in the hub schema lm-eval's built-in task reads."""
    if task == "medqa_4options":  # GBaker/MedQA-USMLE-4-options-hf
        rows = read_jsonl(data_file("medqa/phrases_no_exclude_test.jsonl"))
        docs = [
            {"id": f"test-{i:05d}", "sent1": r["question"], "sent2": "", "label": "ABCD".index(r["answer_idx"])}
            | {f"ending{j}": r["options"][letter] for j, letter in enumerate("ABCD")}
            for i, r in enumerate(rows)
        ]
        return "test", docs
    if task == "medmcqa":  # openlifescienceai/medmcqa: cop is 0-based there, 1-based in the original file
        return "validation", [r | {"cop": r["cop"] - 1} for r in read_jsonl(data_file("medmcqa/dev.json"))]
    if task == "pubmedqa":  # bigbio/pubmed_qa, pubmed_qa_labeled_fold0_source
        items = json.loads(data_file("pubmedqa/test_set.json").read_text(encoding="utf-8"))
        return "test", list(items.values())
    subject = task.removeprefix("mmlu_")  # cais/mmlu
    with open(data_file(f"mmlu/test/{subject}_test.csv"), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return "test", [
        {"question": r[0], "subject": subject, "choices": r[1:5], "answer": "ABCD".index(r[5])} for r in rows
    ]


def builtin_yaml(tasks_dir: Path, task: str) -> Path:
    if task.startswith("mmlu_"):
        return tasks_dir / "mmlu" / "default" / f"{task}.yaml"
    return tasks_dir / {"medqa_4options": "medqa/medqa.yaml", "medmcqa": "medmcqa/medmcqa.yaml"}.get(
        task, f"{task}/{task}.yaml"
    )


def write_tasks(python: Path, tasks: list[str], work: Path) -> Path:
    """Task YAMLs that include lm-eval's own (its prompts, choices, metric) and only swap the data source."""
    found = subprocess.run(
        [str(python), "-c", "import lm_eval, os; print(os.path.dirname(lm_eval.__file__))"],
        check=True,
        capture_output=True,
        text=True,
    )
    tasks_dir = Path(found.stdout.strip()) / "tasks"
    folder = work / "lm_eval_tasks"
    folder.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        split, docs = hub_docs(task)
        data = work / "lm_eval_data" / f"{task}.jsonl"
        data.parent.mkdir(parents=True, exist_ok=True)
        data.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
        lines = [
            f"include: {builtin_yaml(tasks_dir, task)}",
            f"task: {task}",
            "dataset_path: json",
            "dataset_name: null",
            "dataset_kwargs:",
            "  data_files:",
            f"    {split}: {data}",
            "training_split: null",
            "fewshot_split: null",  # splits not shipped are off, so the json loader is never asked for them
            f"validation_split: {split if split == 'validation' else 'null'}",
            f"test_split: {split}",
        ]
        (folder / f"{task}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


class LmEvalWorker:
    """One lm-eval process at one batch size: the model loaded once, then one task per request."""

    def __init__(self, python: Path, model: Path, batch_size: str, include: Path, work: Path, threads: int):
        self.name = f"lm-eval bs{batch_size}"
        self.output = work / f"lm_eval_output_bs{batch_size}"
        env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        env["HF_DATASETS_CACHE"] = str(work / "hf_datasets_cache")
        command = [str(python), str(WORKER), "--model", str(model), "--batch-size", batch_size]
        command += ["--include-path", str(include), "--output", str(self.output), "--threads", str(threads)]
        self.log = open(work / f"lm_eval_bs{batch_size}.log", "w")  # noqa: SIM115 (lives as long as the worker)
        self.process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.ready = self.receive()

    def receive(self) -> dict:
        for line in self.process.stdout:
            if line.startswith(REPLY):
                return json.loads(line[len(REPLY) :])
        raise RuntimeError(f"{self.name} stopped (exit {self.process.wait()}); see {self.log.name}")

    def run(self, task: str, start: int, end: int) -> dict:
        self.process.stdin.write(json.dumps({"task": task, "docs": [start, end]}) + "\n")
        self.process.stdin.flush()
        return self.receive()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.log.close()


# ---------------------------------------------------------------- FLOPs and the machine's peak


@dataclass(frozen=True)
class Shape:
    linear_params: int  # every nn.Linear weight but the vocabulary projection
    layers: int
    query_width: int  # attention heads x head size
    hidden: int
    vocab: int
    intermediate: int

    @classmethod
    def of(cls, model) -> Shape:
        config = getattr(model.config, "text_config", None) or model.config
        linear = sum(
            m.weight.numel()
            for name, m in model.named_modules()
            if isinstance(m, torch.nn.Linear) and not name.endswith("lm_head")
        )
        head = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        return cls(
            linear,
            config.num_hidden_layers,
            config.num_attention_heads * head,
            config.hidden_size,
            config.vocab_size,
            config.intermediate_size,
        )

    def flops(self, start: int, end: int, logits_rows: int = 1) -> int:
        """A forward over positions start..end-1 (0..start-1 cached): linear layers, attention, logits rows."""
        attended = (end * (end + 1) - start * (start + 1)) // 2  # position p attends to p + 1 keys
        return (
            2 * self.linear_params * (end - start)
            + 4 * self.layers * self.query_width * attended
            + (2 * self.hidden * self.vocab * logits_rows)
        )


def matmul_rates(shape: Shape, rows=(256, 1024, 4096), seconds: float = 0.4, repeats: int = 5) -> dict[str, float]:
    """fp32 FLOP/s of torch's linear on the model's own weight shapes, the best of `repeats` timed loops
    (on a machine shared with other work, the best loop is the closest to what the cores can do)."""
    rates = {}
    for k, n in ((shape.hidden, shape.hidden), (shape.hidden, shape.intermediate), (shape.intermediate, shape.hidden)):
        for m in rows:
            x, w = torch.randn(m, k), torch.randn(n, k)
            torch.nn.functional.linear(x, w)
            samples = []
            for _ in range(repeats):
                count, started = 0, time.perf_counter()
                while (elapsed := time.perf_counter() - started) < seconds:
                    torch.nn.functional.linear(x, w)
                    count += 1
                samples.append(2 * m * k * n * count / elapsed)
            rates[f"{m}x{k} @ {k}x{n}"] = max(samples)
    return rates


def work_flops(backend, shape: Shape, questions: list[Question]) -> tuple[int, int]:
    """(FLOPs lm-eval must run, FLOPs medlb runs) for these questions: full prompts, or a shared prefix once."""
    memo: dict[str, list[int]] = {}
    encoded = [backend.encode(i, prompts.build_request(q), memo) for i, q in enumerate(questions)]
    if getattr(backend, "share_common_openings", False):  # the prefixes medlb finds itself (MMLU's header)
        encoded = backend.shared_prefixes(encoded)
    full = sum(shape.flops(0, len(e.context)) for e in encoded)
    ours = sum(shape.flops(len(e.prefix), len(e.context)) for e in encoded)
    ours += sum(shape.flops(0, len(p), logits_rows=0) for p in {e.prefix for e in encoded if e.prefix})
    return full, ours


# ---------------------------------------------------------------- agreement


def agreement(task: str, samples: Path, questions: list[Question], ours: pl.DataFrame) -> tuple[int, int, float]:
    """(questions compared, same predicted option, largest |log-likelihood difference|) against lm-eval."""
    index = QuestionIndex(questions)  # lm-eval's documents of this chunk, matched by content
    mine = {row["question_id"]: row["loglikelihoods"] for row in ours.iter_rows(named=True)}
    compared = same = 0
    worst = 0.0
    for sample in checked_samples(samples):
        question = index.match(task, sample.doc)
        if question is None or question.id not in mine:
            raise RuntimeError(f"{samples}:{sample.line}: no medlb prediction for this lm-eval document")
        theirs, lls = sample.loglikelihoods, mine[question.id]
        compared += 1
        same += first_argmax(theirs) == first_argmax(lls)
        worst = max(worst, max(abs(a - b) for a, b in zip(theirs, lls)))
    return compared, same, worst


def medlb_predictions(warehouse: Path, run_id: str, question_ids: list[str]) -> pl.DataFrame:
    """The run's predictions of these questions as `medlb export` writes them (the warehouse's own rows)."""
    with tempfile.TemporaryDirectory() as out:
        [bundle] = export_runs(warehouse, [run_id], Path(out))
        frame = pl.read_parquet(bundle / "predictions.parquet")
    return frame.filter(pl.col("question_id").is_in(question_ids)).select("question_id", "loglikelihoods")


# ---------------------------------------------------------------- the run


@dataclass
class Tally:
    load: float = 0.0
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # task -> wall time


@dataclass
class Progress:
    """What every tool has done so far, per task: questions, seconds, FLOPs, agreement with lm-eval."""

    tallies: dict[str, Tally]
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    flops: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # lm-eval, medlb
    agree: dict[tuple[str, str], list] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0.0]))

    @property
    def lm_eval_names(self) -> list[str]:
        return [name for name in self.tallies if name != "medlb"]

    def add_agreement(self, name: str, task: str, compared: int, same: int, worst: float) -> None:
        entry = self.agree[(name, task)]
        entry[0] += compared
        entry[1] += same
        entry[2] = max(entry[2], worst)


def round_robin_chunks(sizes: dict[str, int], chunk: int) -> list[tuple[str, int, int]]:
    """(task, start, end) pieces of every task, the first piece of each task first: a run cut short has
    measured every task, and load from other processes spreads over all of them."""
    pieces = {task: [(task, a, min(n, a + chunk)) for a in range(0, n, chunk)] for task, n in sizes.items()}
    rounds = max(len(p) for p in pieces.values())
    return [p[i] for i in range(rounds) for p in pieces.values() if i < len(p)]


def run_chunk(piece, workers, backend, folder: Path, warehouse: Path, batch_size: int, progress: Progress, shape):
    """One piece of a task: lm-eval at each batch size, then medlb; times, FLOPs and agreement recorded."""
    task, start, end = piece
    questions = benchmarks.load_questions(task)[start:end]
    samples = {}
    for worker in workers:
        reply = worker.run(task, start, end)
        progress.tallies[worker.name].seconds[task] += reply["seconds"]
        samples[worker.name] = Path(reply["samples"])
    config = EvalConfig(model=str(folder), tasks=[task], warehouse=str(warehouse), batch_size=batch_size)
    config.question_ids = tuple(q.id for q in questions)
    clock = time.perf_counter()
    result = evaluate(config, backend=backend, progress=False)
    progress.tallies["medlb"].seconds[task] += time.perf_counter() - clock
    ours = medlb_predictions(warehouse, result.run_id, list(config.question_ids))
    for name, path in samples.items():
        progress.add_agreement(name, task, *agreement(task, path, questions, ours))
    progress.counts[task] += len(questions)
    full, mine = work_flops(backend, shape, questions)
    progress.flops[task][0] += full
    progress.flops[task][1] += mine


def print_times(progress: Progress) -> None:
    names, lm_names = list(progress.tallies), progress.lm_eval_names
    header = f"{'task':28} {'n':>5} " + " ".join(f"{n + ' s':>13} {'q/s':>6}" for n in names)
    print(header + " " + " ".join(f"{'vs ' + n:>13}" for n in lm_names) + "   same answer   max |dll|")
    tasks = [task for task in progress.counts]
    for label, chosen, with_load in (
        *((task, [task], False) for task in tasks),
        ("all, scoring", tasks, False),
        ("all, with model load", tasks, True),
    ):
        n = sum(progress.counts[t] for t in chosen)
        secs = {
            name: sum(tally.seconds[t] for t in chosen) + (tally.load if with_load else 0)
            for name, tally in progress.tallies.items()
        }
        line = f"{label:28} {n:5d} " + " ".join(f"{secs[name]:13.1f} {n / secs[name]:6.2f}" for name in names)
        line += " " + " ".join(f"{secs[name] / secs['medlb']:12.2f}x" for name in lm_names)
        pairs = [progress.agree[(name, t)] for name in lm_names for t in chosen]
        compared, same = sum(p[0] for p in pairs), sum(p[1] for p in pairs)
        print(line + f"  {same:5d}/{compared:<5d} {same / compared:7.2%}  {max(p[2] for p in pairs):.1e}")


def print_flops(progress: Progress, peak: float) -> None:
    names = list(progress.tallies)
    print(
        f"{'task':28} {'GFLOP/q lm-eval':>16} {'GFLOP/q medlb':>14} " + " ".join(f"{n + ' %peak':>18}" for n in names)
    )
    tasks = list(progress.counts)
    for label, chosen in (*((task, [task]) for task in tasks), ("all, scoring", tasks)):
        n = sum(progress.counts[t] for t in chosen)
        full, mine = (sum(progress.flops[t][i] for t in chosen) for i in (0, 1))
        shares = [
            (mine if name == "medlb" else full) / sum(tally.seconds[t] for t in chosen) / peak
            for name, tally in progress.tallies.items()
        ]
        print(f"{label:28} {full / n / 1e9:16.2f} {mine / n / 1e9:14.2f} " + " ".join(f"{s:18.1%}" for s in shares))


def print_report(progress: Progress, peak: float, threads: int, title: str) -> None:
    print(f"\n== {title}, {time.strftime('%H:%M:%S %Z')}, load average {load_average()}")
    print_times(progress)
    print(f"model FLOP/s as a share of the measured fp32 matmul peak, {peak / 1e9:.1f} GFLOP/s on {threads} threads:")
    print_flops(progress, peak)
    sys.stdout.flush()


def code_version() -> str:
    """The git commit of the medlb code measured, marked dirty when it has uncommitted changes."""
    repo = Path(pipeline.__file__).resolve().parents[1]
    git = ["git", "-C", str(repo)]
    try:
        commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        dirty = subprocess.run([*git, "status", "--porcelain", "pipeline"], capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "(not a git checkout)"
    return commit.stdout.strip() + (" with uncommitted changes in pipeline/" if dirty.strip() else "")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m-instruct")
    parser.add_argument("--tasks", default="omll")
    parser.add_argument("--limit", type=int, help="first N questions per task (both tools)")
    parser.add_argument("--lm-eval-batch-sizes", default="1,32", help="comma list; each runs in its own worker")
    parser.add_argument("--batch-size", type=int, default=16, help="medlb's --batch-size")
    parser.add_argument("--chunk", type=int, default=500, help="questions per piece; a table is printed after each")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--work", type=Path, help="scratch folder (default: a new temporary one)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    tasks = benchmarks.resolve_tasks(args.tasks)
    work = args.work or Path(tempfile.mkdtemp(prefix="medlb-speed-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"started {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, load average {load_average()}, {os.cpu_count()} CPUs")
    print("command: " + " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"medlb code: {Path(pipeline.__file__).parent} at {code_version()}")

    python = lm_eval_python()
    include = write_tasks(python, tasks, work)
    folder = Path(models.resolve(args.model).path)  # the converted safetensors folder, shared by both tools
    tallies, workers = {}, []
    for size in args.lm_eval_batch_sizes.split(","):
        worker = LmEvalWorker(python, folder, size.strip(), include, work, args.threads)
        workers.append(worker)
        tallies[worker.name] = Tally(load=worker.ready["load_seconds"])
    started = time.perf_counter()
    backend = create_backend("transformers", model=str(folder), batch_size=args.batch_size)
    tallies["medlb"] = Tally(load=time.perf_counter() - started)
    shape = Shape.of(backend.model)
    rates = matmul_rates(shape)
    peak = max(rates.values())
    print(f"model {folder} ({backend.info.n_params:,} parameters), torch threads {args.threads}")
    print("fp32 matmul GFLOP/s: " + ", ".join(f"{k} {v / 1e9:.1f}" for k, v in rates.items()))
    print("model load s: " + ", ".join(f"{name} {t.load:.1f}" for name, t in tallies.items()))

    sizes = {task: len(benchmarks.load_questions(task)[: args.limit]) for task in tasks}
    progress = Progress(tallies)
    pieces = round_robin_chunks(sizes, args.chunk)
    for number, piece in enumerate(pieces, start=1):
        run_chunk(piece, workers, backend, folder, work / "medlb.duckdb", args.batch_size, progress, shape)
        # the peak is re-measured (largest rows only) after every piece and the best kept: other processes
        # come and go, and a share of a peak measured while they ran would flatter every tool
        peak = max(peak, *matmul_rates(shape, rows=(4096,), repeats=3).values())
        print_report(
            progress, peak, args.threads, f"after piece {number}/{len(pieces)} ({piece[0]} {piece[1]}-{piece[2]})"
        )
    for worker in workers:
        worker.close()
    backend.close()
    again = max(matmul_rates(shape).values())
    print(f"\nfp32 matmul peak re-measured at the end: {again / 1e9:.1f} GFLOP/s (start: {peak / 1e9:.1f})")
    print_report(progress, max(peak, again), args.threads, "final (peak: the higher of the two measurements)")
    print(f"lm-eval --log_samples output and logs under {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
