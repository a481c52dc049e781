"""K-QA (Manes et al. 2024): patients' questions answered in free text, scored statement by statement.

Files (data/kqa/, byte for byte from Itaymanes/K-QA, see PROVENANCE.md):
  questions_w_answers.jsonl  201 questions, each with the physicians' answer split into Must_have and
                             Nice_to_have statements: the task's questions and gold statements;
  NLI_medical_annotator.csv  399 (answer, statement) pairs labelled by three physicians: the judge check;
  is_entails.txt, is_contradict.txt  the paper's two few-shot judge prompts (the published method).

Ids. A question is "kqa/<line>" (0-based line of questions_w_answers.jsonl, like MedQA: the file has no
ids). A statement is "kqa/<line>/<Must_have|Nice_to_have>/<position in its list>". The position is kept
even where the file has an empty statement (three Must_have entries are "" or " "), which is not judged
and not counted, so the other ids never move.

A gold statement is a `Criterion` with a kind and a weight: K-QA's kinds are Must_have / Nice_to_have
with weight 1; a rubric benchmark (HealthBench: conversation + rubric items with points) is the same
shape with kind "rubric" and the item's points as weight, so it needs no new interface.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import CSV_SYNTAX, check_length, optional_text, read_jsonl, read_text, text_field
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import Question, sha256_text

NAME = "kqa"
QUESTIONS_FILE = "kqa/questions_w_answers.jsonl"
JUDGE_SET_FILE = "kqa/NLI_medical_annotator.csv"
PROMPT_FILES = {"entails": "kqa/is_entails.txt", "contradicts": "kqa/is_contradict.txt"}
KINDS = ("Must_have", "Nice_to_have")
LABELS = ("Entailment", "Neutral", "Contradiction")  # the physicians' labels in the judge set
JUDGE_SET_COLUMNS = ("", "Question", "llm_x", "answer", "claim", "category_x", "majority_label")
ANNOTATORS = ("label_0", "label_1", "label_2")
# Whose answers the judge set holds: llm_x -> the model as the paper names it.
JUDGE_SET_MODELS = {"gpt4": "GPT-4", "gpt35": "GPT-3.5", "bard": "Bard", "askk": "K Health (AskK)"}


@dataclass(frozen=True)
class Criterion:
    """One gold statement (or rubric item) an answer is judged against."""

    id: str
    question_id: str
    kind: str  # Must_have | Nice_to_have (K-QA); rubric (a later rubric benchmark)
    position: int  # index in the source's list: part of the id, so ids survive edits elsewhere
    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class OpenQuestion:
    """A question to answer in free text, with the reference answer and the criteria it is judged on."""

    question: Question
    reference_answer: str
    criteria: tuple[Criterion, ...]

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class JudgeCheckPair:
    """One physician-labelled (answer, statement) pair of the judge set."""

    row: int  # the file's unnamed index column
    question: str
    answer_model: str  # llm_x: gpt4 | gpt35 | bard | askk
    answer: str
    statement: str
    kind: str  # Must_have | Nice_to_have
    labels: tuple[str, str, str]  # the three physicians
    majority: str  # Entailment | Neutral | Contradiction

    @property
    def pair_id(self) -> str:
        return f"kqa-judge-set/{self.row}"


# ---------------------------------------------------------------- questions and statements


def parse_file(path: str | Path, task: str = NAME) -> list[OpenQuestion]:
    return [open_question(record, row, task, path) for row, record in read_jsonl(path)]


def open_question(record: dict, row: int, task: str, path: str | Path) -> OpenQuestion:
    text = text_field(record, "Question", path, row)
    reference = text_field(record, "Free_form_answer", path, row)
    question_id = f"{task}/{row}"
    criteria = []
    for kind in KINDS:
        for position, statement in enumerate(statement_list(record, kind, path, row)):
            if statement.strip():
                criteria.append(Criterion(f"{question_id}/{kind}/{position}", question_id, kind, position, statement))
    if not any(c.kind == "Must_have" for c in criteria):
        raise BenchmarkFormatError(path, row, "Must_have", "no non-empty Must_have statement: nothing to judge")
    question = Question(
        id=question_id,
        task=task,
        source_id=str(row),
        text=text,
        options=(),
        golds=(),
        subject=optional_text(record, "ICD_10_diag", path, row),
        explanation=reference,
        meta={"sources": optional_text(record, "Sources", path, row)},
    )
    return OpenQuestion(question, reference, tuple(criteria))


def statement_list(record: dict, field: str, path: str | Path, row: int) -> list[str]:
    if field not in record or record[field] is None:
        raise BenchmarkFormatError(path, row, field, "missing required field (a list of statements)")
    value = record[field]
    if not isinstance(value, list):
        raise BenchmarkFormatError(path, row, field, f"expected a list of statements, found {type(value).__name__}")
    for position, statement in enumerate(value):
        if not isinstance(statement, str):
            raise BenchmarkFormatError(
                path, row, field, f"statement {position} is {type(statement).__name__}, not a string"
            )
        check_length(statement, field, path, row)
    return value


def load_open() -> list[OpenQuestion]:
    return parse_file(data_file(QUESTIONS_FILE))


def load_local() -> list[Question]:
    return [item.question for item in load_open()]


def skipped_empty_statements(path: str | Path | None = None) -> int:
    """Statements of the file that are empty text ("" or " "): kept out of judging and metrics."""
    total = 0
    for _, record in read_jsonl(path or data_file(QUESTIONS_FILE)):
        total += sum(not str(s).strip() for kind in KINDS for s in record.get(kind) or [])
    return total


# ---------------------------------------------------------------- the judge set


def parse_judge_set(path: str | Path) -> list[JudgeCheckPair]:
    reader = csv.reader(io.StringIO(read_text(path), newline=""), strict=True)
    try:
        header, *records = list(reader)
    except csv.Error as error:
        raise BenchmarkFormatError(path, 0, CSV_SYNTAX, f"unparsable CSV: {error}") from None
    expected = (*JUDGE_SET_COLUMNS, *ANNOTATORS)
    if tuple(header) != expected:
        raise BenchmarkFormatError(path, 0, CSV_SYNTAX, f"expected columns {list(expected)}, found {header}")
    return [judge_pair(dict(zip(header, record)), row, path) for row, record in enumerate(records, start=1)]


def judge_pair(record: dict, row: int, path: str | Path) -> JudgeCheckPair:
    if len(record) != len(JUDGE_SET_COLUMNS) + len(ANNOTATORS):
        raise BenchmarkFormatError(path, row, CSV_SYNTAX, "wrong number of columns")
    labels = tuple(_label(record, name, path, row) for name in ANNOTATORS)
    kind = text_field(record, "category_x", path, row)
    if kind not in KINDS:
        raise BenchmarkFormatError(path, row, "category_x", f"{kind!r} is not one of {', '.join(KINDS)}")
    model = text_field(record, "llm_x", path, row)
    if model not in JUDGE_SET_MODELS:
        raise BenchmarkFormatError(path, row, "llm_x", f"{model!r} is not one of {', '.join(JUDGE_SET_MODELS)}")
    index = record[""]
    if not index.isdigit():
        raise BenchmarkFormatError(path, row, "<index>", f"row index {index!r} is not a number")
    return JudgeCheckPair(
        row=int(index),
        question=text_field(record, "Question", path, row),
        answer_model=model,
        answer=text_field(record, "answer", path, row),
        statement=text_field(record, "claim", path, row),
        kind=kind,
        labels=labels,  # type: ignore[arg-type]
        majority=_label(record, "majority_label", path, row),
    )


def _label(record: dict, name: str, path: str | Path, row: int) -> str:
    value = text_field(record, name, path, row)
    if value not in LABELS:
        raise BenchmarkFormatError(path, row, name, f"{value!r} is not one of {', '.join(LABELS)}")
    return value


def load_judge_set() -> list[JudgeCheckPair]:
    return parse_judge_set(data_file(JUDGE_SET_FILE))


# ---------------------------------------------------------------- the paper's judge prompts


@dataclass(frozen=True)
class JudgePrompt:
    """One of the paper's few-shot prompts; `render` fills its three slots, nothing else."""

    relation: str  # entails | contradicts
    text: str

    @property
    def hash(self) -> str:
        return sha256_text(self.text)[:16]

    def render(self, question: str, answer: str, statement: str) -> str:
        return "".join(self.render_parts(question, answer, statement))

    def render_parts(self, question: str, answer: str, statement: str) -> tuple[str, str]:
        """The prompt cut before the statement: (instructions, examples, question and answer; statement and
        the rest). Every statement of one answer shares the first part, so a judge can run it once."""
        # Slot by slot, in the order they appear: a value holding braces (or a slot's name) is never refilled.
        out, rest = [], self.text
        for slot, value in (("{question}", question), ("{llm_answer}", answer), ("{answer}", statement)):
            head, found, rest = rest.partition(slot)
            if not found:
                raise ValueError(f"judge prompt {self.relation!r} has no {slot} slot after the previous one")
            out += [head, value]
        return "".join(out[:-1]), out[-1] + rest


def judge_prompts() -> dict[str, JudgePrompt]:
    return {relation: JudgePrompt(relation, read_text(data_file(name))) for relation, name in PROMPT_FILES.items()}


def statement_counts(items: Sequence[OpenQuestion]) -> dict[str, int]:
    return {kind: sum(c.kind == kind for item in items for c in item.criteria) for kind in KINDS}


# The model is asked the patient's question as written; the chat template (or, for a model without one,
# GENERATION_PLAIN_PROMPT in pipeline.generation) frames it. The template's doc is that question.
TEMPLATE = Template("{question}", choices="open")

TASK = Task(
    name=NAME,
    benchmark="kqa",
    split="test",
    language="en",
    task_group="open",
    metric="comprehensiveness",
    source=QUESTIONS_FILE,
    load_local=load_local,
    template=TEMPLATE,
    load_open=load_open,
    permutable=False,
)
