"""A judge model, and the resumable step that judges every (answer, gold statement) pair with the paper's prompts.

Each pair is judged twice, once per prompt of K-QA (data/kqa/is_entails.txt, is_contradict.txt): does the
answer entail the statement, does it contradict it. Two modes:

  loglikelihood  the prompt, then LEAD_IN (the start of the verdict sentence every worked example of the
                 prompt ends with), and the log-likelihoods of " True" and " False" after it; P(true) is
                 their softmax and the verdict the likelier. No reasoning is generated. The default where
                 the backend has log-probs (transformers; an OpenAI-compatible server with echo).
  generative     the prompt as the one user message; the judge writes its reasoning and verdict (up to
                 GENERATIVE_MAX_NEW_TOKENS, greedy), both kept; the verdict is its last "The answer is
                 True/False", else "unparsed".

A judge's identity (judges.judge_id) hashes its model version, mode, prompts' hash and settings, so scores
are always per judge. Rows are written per batch: a killed judging step resumes, a rerun adds nothing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tqdm import tqdm

from pipeline.backends import Backend
from pipeline.backends.base import GenerationRequest, Request
from pipeline.benchmarks import kqa
from pipeline.judging.verdicts import parse_verdict
from warehouse import judged, writer
from warehouse.db import execute_write, read_connection
from warehouse.records import sha256_text

MODES = ("loglikelihood", "generative")
LEAD_IN = " The answer is"
CHOICES = (" True", " False")
GENERATIVE_MAX_NEW_TOKENS = 160
RELATIONS = ("entails", "contradicts")
BATCH_SIZE = 8  # pairs judged, then written, at a time


@dataclass(frozen=True)
class Pair:
    """One thing to judge: a statement against an answer, under one relation."""

    run_id: str
    question_id: str
    statement_id: str
    relation: str
    question: str
    answer: str
    statement: str


@dataclass
class Judge:
    backend: Backend
    mode: str
    version_id: str = ""
    max_new_tokens: int = GENERATIVE_MAX_NEW_TOKENS
    # Replaces judge_pairs' batch loop (pipeline.distributed's Ray pool brings its own); _judge_all's arguments.
    judge_all: Callable | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"judge mode {self.mode!r}: choose one of {', '.join(MODES)}")
        self.prompts = kqa.judge_prompts()

    @property
    def settings(self) -> dict:
        if self.mode == "loglikelihood":
            return {"lead_in": LEAD_IN, "choices": list(CHOICES)}
        return {"max_new_tokens": self.max_new_tokens, "temperature": 0.0}

    @property
    def prompt_hash(self) -> str:
        hashes = {relation: self.prompts[relation].hash for relation in RELATIONS}
        return sha256_text(json.dumps({"prompts": hashes, "mode": self.mode, **self.settings}, sort_keys=True))[:16]

    @property
    def judge_id(self) -> str:
        return sha256_text(json.dumps([self.version_id, self.mode, self.prompt_hash]))[:16]

    def identity(self) -> dict:
        info = self.backend.info
        return {
            "judge_id": self.judge_id,
            "version_id": self.version_id,
            "model_id": info.name,
            "revision": info.revision,
            "mode": self.mode,
            "prompt_hash": self.prompt_hash,
            "settings": {**self.settings, "backend": getattr(self.backend, "identity_settings", {})},
        }

    def render(self, pair: Pair) -> str:
        return self.prompts[pair.relation].render(pair.question, pair.answer, pair.statement)

    def scoring_request(self, pair: Pair) -> Request:
        """The rendered prompt plus LEAD_IN, cut before the statement: every statement of one answer shares the
        instructions, examples, question and answer as a Request.prefix, whose KV the backend may run once."""
        shared, own = self.prompts[pair.relation].render_parts(pair.question, pair.answer, pair.statement)
        return Request(pair.statement_id, own + LEAD_IN, CHOICES, prefix=shared)

    def judge(self, pairs: Sequence[Pair]) -> list[dict]:
        """One judgments row per pair."""
        texts = [self.render(p) for p in pairs]
        if self.mode == "loglikelihood":
            scored = self.backend.loglikelihood([self.scoring_request(p) for p in pairs])
            outcomes = [_from_scores(s) for s in scored]
        else:
            requests = [
                GenerationRequest(p.statement_id, (("user", t),), self.max_new_tokens) for p, t in zip(pairs, texts)
            ]
            outcomes = [_from_generation(g) for g in self.backend.generate(requests)]
        return self.rows(pairs, texts, outcomes)

    def failed(self, pairs: Sequence[Pair], reason: str) -> list[dict]:
        """The rows of pairs the judge could not be asked (a rerun judges them again)."""
        outcome = {"verdict": "failed", "probability": None, "rationale": reason, "latency_ms": 0.0}
        return self.rows(pairs, [self.render(p) for p in pairs], [outcome] * len(pairs))

    def rows(self, pairs: Sequence[Pair], texts: Sequence[str], outcomes: Sequence[dict]) -> list[dict]:
        return [
            {
                "judge_id": self.judge_id,
                "run_id": p.run_id,
                "question_id": p.question_id,
                "statement_id": p.statement_id,
                "relation": p.relation,
                "prompt_hash": sha256_text(text)[:16],
                **outcome,
            }
            for p, text, outcome in zip(pairs, texts, outcomes)
        ]


def _from_scores(scores) -> dict:
    if scores.status != "ok" or len(scores.loglikelihoods) != 2:
        return {
            "verdict": "failed",
            "probability": None,
            "rationale": scores.raw_output,
            "latency_ms": scores.latency_ms,
        }
    true_ll, false_ll = scores.loglikelihoods
    p_true = 1.0 / (1.0 + math.exp(false_ll - true_ll))
    verdict = "true" if true_ll > false_ll else "false"
    return {"verdict": verdict, "probability": p_true, "rationale": None, "latency_ms": scores.latency_ms}


def _from_generation(generation) -> dict:
    verdict = parse_verdict(generation.text) if generation.status == "ok" else "failed"
    return {"verdict": verdict, "probability": None, "rationale": generation.text, "latency_ms": generation.latency_ms}


def register(path, judge: Judge) -> str:
    """The judge's model version and identity, once; returns the judge id."""

    def write(con):
        judge.version_id = writer.register_model_version(con, judge.backend.info)
        judged.register_judge(con, judge.identity())
        return judge.judge_id

    return execute_write(write, path)


def ordered_for_reuse(pairs: Sequence[Pair]) -> list[Pair]:
    """One answer's statements side by side, relation by relation: their shared prompt (Judge.scoring_request's
    prefix) stays in the backend's prefix cache from one batch to the next instead of being run again."""
    return sorted(pairs, key=lambda p: (p.question_id, p.answer, p.relation))


def judge_pairs(
    path, judge: Judge, run_id: str, pairs: Sequence[Pair], batch_size: int = BATCH_SIZE, progress: bool = True
):
    """Judge the pairs this judge has no verdict for yet (failed ones again); returns (judged now, skipped)."""
    with read_connection(path) as con:
        done = judged.judged(con, judge.judge_id, run_id)
    todo = ordered_for_reuse([p for p in pairs if (p.statement_id, p.relation) not in done])
    (judge.judge_all or _judge_all)(path, judge, run_id, todo, batch_size, progress)
    return len(todo), len(pairs) - len(todo)


def _judge_all(path, judge: Judge, run_id: str, todo: Sequence[Pair], batch_size: int, progress: bool) -> None:
    """Judge `todo` in batches of batch_size, in order, each batch written in its own transaction."""
    bar = tqdm(total=len(todo), unit="verdict", desc=f"judging ({judge.mode})", disable=not progress or not todo)
    for start in range(0, len(todo), batch_size):
        rows = judge.judge(todo[start : start + batch_size])
        write_verdicts(path, judge, run_id, rows)
        bar.update(len(rows))
    bar.close()


def write_verdicts(path, judge: Judge, run_id: str, rows: Sequence[dict]) -> None:
    execute_write(lambda con: judged.write_judgments(con, judge.judge_id, run_id, rows), path)


def run_pairs(path, run_id: str) -> list[Pair]:
    """Every (answer, statement, relation) of a generation run, in a stable order."""
    with read_connection(path) as con:
        frame = judged.answers_to_judge(con, run_id)
    return [
        Pair(
            run_id, row["question_id"], row["statement_id"], relation, row["question"], row["answer"], row["statement"]
        )
        for row in frame.iter_rows(named=True)
        for relation in RELATIONS
    ]


def judge_run(path, judge: Judge, run_id: str, batch_size: int = BATCH_SIZE, progress: bool = True) -> tuple[int, int]:
    register(path, judge)
    return judge_pairs(path, judge, run_id, run_pairs(path, run_id), batch_size, progress)


def judge_set_pairs(limit: int | None = None, loader: Callable = kqa.load_judge_set) -> list[Pair]:
    """The physicians' pairs (first `limit`), each under both relations; question ids where the text matches."""
    by_text = {item.question.text: item.id for item in kqa.load_open()}
    pairs = loader()[:limit] if limit is not None else loader()
    return [
        Pair(judged.JUDGE_SET_RUN, by_text.get(p.question, ""), p.pair_id, relation, p.question, p.answer, p.statement)
        for p in pairs
        for relation in RELATIONS
    ]
