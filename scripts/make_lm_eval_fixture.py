"""Produce real lm-evaluation-harness output for tests/fixtures/lm_eval/ (see its README).

Run it with the Python of a separate venv that has lm-eval==0.4.13, torch, transformers, gguf and
accelerate (scripts/make_lm_eval_fixture.sh builds one under /tmp); never with the project's .venv.

Steps, all offline:
1. copy a few questions of each of the nine tasks from /work/shared/benchmarks into JSON Lines files
   in the Hugging Face hub schema that lm-eval's built-in tasks read (GBaker MedQA, openlifescienceai
   MedMCQA, bigbio PubMedQA source, cais/mmlu); rows are picked from across each file, not the first
   ones, so the importer has to match by content rather than by position;
2. write task YAMLs that `include` lm-eval's own built-in YAMLs (so prompts and choices are exactly
   lm-eval's) and only point `dataset_path: json` at those files;
3. turn the SmolLM2 GGUF into a plain safetensors folder (lm-eval's hf model cannot read GGUF here);
4. run `lm-eval run ... --log_samples --output_path` and copy what it wrote into the fixture folder.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(os.environ.get("MEDLB_BENCHMARKS", "/work/shared/benchmarks"))
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MMLU_SUBJECTS = [
    "anatomy",
    "clinical_knowledge",
    "college_biology",
    "college_medicine",
    "medical_genetics",
    "professional_medicine",
]
# Rows taken from each source file (0-based positions in file order), spread across the file.
MEDQA_ROWS = [7, 402, 851, 1270]
MEDMCQA_ROWS = [5, 1500, 3000, 4180]
PUBMEDQA_ROWS = [0, 125, 250, 499]  # positions among the 500 official test PMIDs
MMLU_ROWS = [1, 30, 60, 99]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def medqa_docs() -> list[dict]:
    rows = read_jsonl(BENCHMARKS / "medqa" / "phrases_no_exclude_test.jsonl")
    docs = []
    for i in MEDQA_ROWS:
        r = rows[i]
        docs.append(
            {
                "id": f"test-{i:05d}",
                "sent1": r["question"],
                "sent2": "",
                "ending0": r["options"]["A"],
                "ending1": r["options"]["B"],
                "ending2": r["options"]["C"],
                "ending3": r["options"]["D"],
                "label": "ABCD".index(r["answer_idx"]),
            }
        )
    return docs


def medmcqa_docs() -> list[dict]:
    rows = read_jsonl(BENCHMARKS / "medmcqa" / "dev.json")
    docs = []
    for i in MEDMCQA_ROWS:
        r = dict(rows[i])
        r["cop"] = r["cop"] - 1  # the hub copy is 0-based, the original file 1-based
        docs.append(r)
    return docs


def pubmedqa_docs() -> list[dict]:
    items = json.loads((BENCHMARKS / "pubmedqa" / "test_set.json").read_text(encoding="utf-8"))
    pmids = list(items)
    return [dict(items[pmids[i]]) for i in PUBMEDQA_ROWS]


def mmlu_docs(subject: str) -> list[dict]:
    with open(BENCHMARKS / "mmlu" / "test" / f"{subject}_test.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return [
        {"question": rows[i][0], "subject": subject, "choices": rows[i][1:5], "answer": "ABCD".index(rows[i][5])}
        for i in MMLU_ROWS
    ]


def write_jsonl(path: Path, docs: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")


def builtin_yaml(task: str) -> Path:
    import lm_eval

    tasks_dir = Path(lm_eval.__file__).parent / "tasks"
    if task.startswith("mmlu_"):
        return tasks_dir / "mmlu" / "default" / f"{task}.yaml"
    return {
        "medqa_4options": tasks_dir / "medqa" / "medqa.yaml",
        "medmcqa": tasks_dir / "medmcqa" / "medmcqa.yaml",
        "pubmedqa": tasks_dir / "pubmedqa" / "pubmedqa.yaml",
    }[task]


def task_yaml(task: str, split: str, data_file: Path) -> str:
    """Include the built-in task; override only where the data comes from.

    Splits we do not ship are switched off, so lm-eval never asks the json loader for them.
    """
    lines = [
        f"include: {builtin_yaml(task)}",
        f"task: {task}",
        "dataset_path: json",
        "dataset_name: null",
        "dataset_kwargs:",
        "  data_files:",
        f"    {split}: {data_file}",
        "training_split: null",
        "fewshot_split: null",
    ]
    lines.append(f"validation_split: {split}" if split == "validation" else "validation_split: null")
    lines.append(f"test_split: {split}")
    return "\n".join(lines) + "\n"


def write_tasks(work: Path) -> list[str]:
    sets = {
        "medqa_4options": ("test", medqa_docs()),
        "medmcqa": ("validation", medmcqa_docs()),
        "pubmedqa": ("test", pubmedqa_docs()),
    }
    for subject in MMLU_SUBJECTS:
        sets[f"mmlu_{subject}"] = ("test", mmlu_docs(subject))
    for task, (split, docs) in sets.items():
        data_file = work / "data" / f"{task}.jsonl"
        write_jsonl(data_file, docs)
        (work / "tasks").mkdir(parents=True, exist_ok=True)
        (work / "tasks" / f"{task}.yaml").write_text(task_yaml(task, split, data_file), encoding="utf-8")
    return list(sets)


def convert_model(gguf_dir: Path, out: Path) -> Path:
    """GGUF -> safetensors folder: transformers refuses to save a GGUF-loaded model unless the
    quantizer is cleared (weights are already dequantized to fp32 on load)."""
    if (out / "config.json").exists():
        return out
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=GGUF_NAME, dtype=torch.float32)
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=GGUF_NAME)
    model.hf_quantizer = None
    model.config.quantization_config = None
    if hasattr(model.config, "__dict__"):
        model.config.__dict__.pop("quantization_config", None)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def run_lm_eval(model_dir: Path, tasks: list[str], work: Path, output: Path, batch_size: int) -> None:
    env = dict(
        os.environ,
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_DATASETS_CACHE=str(work / "hf_datasets_cache"),
    )
    cmd = [
        str(Path(sys.executable).parent / "lm-eval"),
        "run",
        "--model",
        "hf",
        "--model_args",
        f"pretrained={model_dir},dtype=float32",
        "--tasks",
        ",".join(tasks),
        "--include_path",
        str(work / "tasks"),
        "--device",
        "cpu",
        "--batch_size",
        str(batch_size),
        "--log_samples",
        "--output_path",
        str(output),
    ]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, env=env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf-dir", type=Path, required=True, help="folder holding " + GGUF_NAME)
    parser.add_argument("--work", type=Path, default=Path("/tmp/medlb_lmeval"))
    parser.add_argument("--fixture", type=Path, default=Path("tests/fixtures/lm_eval/output"))
    parser.add_argument("--batch-size", type=int, default=4)
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    tasks = write_tasks(args.work)
    model_dir = convert_model(args.gguf_dir, args.work / "SmolLM2-135M-Instruct")
    raw = args.work / "output"
    shutil.rmtree(raw, ignore_errors=True)
    run_lm_eval(model_dir, tasks, args.work, raw, args.batch_size)
    shutil.rmtree(args.fixture, ignore_errors=True)
    shutil.copytree(raw, args.fixture)
    print(f"lm-eval output copied to {args.fixture}")


if __name__ == "__main__":
    main()
