"""The typed rows the warehouse stores, shared by the pipeline (which makes them) and warehouse.writer.

Question -> (pipeline.backends.base: Request -> Scores) -> Prediction.

Everything here is a frozen dataclass so it can be hashed, cached and compared; nothing here
imports torch, the pipeline or duckdb.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

LETTERS = "ABCDEFGHIJ"  # the one list of option letters: prompts, loaders, analysis and dashboard slice it


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def first_argmax(values: Sequence[float]) -> int:
    """The index of the largest value, the first of equals (as numpy.argmax): the option a model picked."""
    return max(range(len(values)), key=lambda i: (values[i], -i))


def file_sha256(path: str | os.PathLike) -> str:
    """The one file hash of the project (vendored data, bundle files, model weights)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def collapse_whitespace(text: str | None) -> str:
    """Runs of whitespace as one space, ends stripped; None as ""."""
    return " ".join((text or "").split())


def content_hash(
    text: str, options: Sequence[str], context: str | None = None, *, ignore_whitespace: bool = False
) -> str:
    """The one identity of a question's content: what a model sees of it, not its position in a file.

    As stored (questions.content_hash, bundles compare it) it hashes the raw text. The lm-eval importer
    matches hub documents with ignore_whitespace=True, because hub copies re-wrap lines and strip ends
    (mmlu's doc_to_text strips).
    """
    if ignore_whitespace:
        context = collapse_whitespace(context)
        text = collapse_whitespace(text)
        options = [collapse_whitespace(option) for option in options]
    payload = json.dumps([context or "", text, list(options)], ensure_ascii=False)
    return sha256_text(payload)[:16]


@dataclass(frozen=True)
class Question:
    """One benchmark item, whatever its source format.

    `id` is stable across runs, machines and sources: "<task>/<source identity>", where the source
    identity is the dataset's own id (MedMCQA uuid, PubMed id) or, where it has none, the 0-based row
    of the published file (MedQA, MMLU), which the hub copies keep in the same order.
    """

    id: str
    task: str
    source_id: str
    text: str
    options: tuple[str, ...]
    golds: tuple[int, ...]  # indices into options; one for single-answer tasks
    context: str | None = None  # PubMedQA abstract
    subject: str | None = None  # MedMCQA subject, MMLU subject, MedQA step, HEAD-QA category
    topic: str | None = None  # MedMCQA topic
    explanation: str | None = None  # MedMCQA `exp`
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def gold(self) -> int:
        if len(self.golds) != 1:
            raise ValueError(f"question {self.id} has {len(self.golds)} correct options, not one")
        return self.golds[0]

    @property
    def content_hash(self) -> str:
        return content_hash(self.text, self.options, self.context)


@dataclass(frozen=True)
class ModelInfo:
    """Identity of the weights that produced the scores, recorded with every run."""

    name: str  # model id as the user gave it, e.g. "HuggingFaceTB/SmolLM2-135M-Instruct"
    revision: str  # commit sha (hub) or sha256 of the weight file (local/GGUF)
    variant: str = ""  # e.g. "int8-dynamic" for a quantized copy of the same weights
    label: str = ""  # human label of this version
    dtype: str = "float32"
    device: str = "cpu"
    n_params: int | None = None
    source: str = "hub"  # hub | local | gguf | api
    model_type: str | None = None  # pretrained | instruct | fine-tuned | commercial
    license: str | None = None
    released_at: str | None = None  # ISO date where known


@dataclass(frozen=True)
class TaskInfo:
    """A benchmark task as the warehouse's `benchmarks` table records it."""

    task: str  # e.g. "medqa_4options"
    benchmark: str  # e.g. "medqa"
    split: str
    language: str = "en"
    task_group: str = "omll"  # omll | french | spanish | extra
    metric: str = "acc"
    source: str = ""  # vendored path or hub dataset@revision
    data_sha256: str | None = None


@dataclass(frozen=True)
class RunSpec:
    """Everything that identifies a run. Rerunning with the same spec resumes the same run_id."""

    run_id: str
    version_id: str
    backend: str
    scoring_mode: str
    provenance: str  # evaluated | imported | bundle
    num_fewshot: int
    dtype: str | None
    device: str | None
    prompt_version: str
    prompt_hash: str
    settings: Mapping[str, Any]
    packages: Mapping[str, str]
    tasks: tuple[str, ...]


@dataclass(frozen=True)
class Prediction:
    """One row of the predictions table."""

    run_id: str
    question_id: str
    task: str
    pred: int | None
    golds: tuple[int, ...]
    correct: bool
    loglikelihoods: tuple[float, ...] | None
    probs: tuple[float, ...] | None
    prompt_hash: str
    latency_ms: float | None = None
    variant: str = ""
    status: str = "ok"
    raw_output: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    pred_set: tuple[int, ...] | None = None  # multi-answer tasks: the chosen set of options


def version_id_for(model_id: str, revision: str, variant: str = "") -> str:
    return sha256_text(json.dumps([model_id, revision, variant]))[:16]
