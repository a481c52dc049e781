"""Prompts identical, character for character, to lm-evaluation-harness 0.4.x's task templates.

lm-eval builds a multiple-choice request as  description + shots + doc_to_text(doc)  and scores each
continuation  target_delimiter + choice. Shots are  doc_to_text(shot) + " " + gold choice, each followed
by the few-shot delimiter "\n\n". The templates below are the task YAMLs / utils of lm-eval:

    medqa_4options  preprocess_medqa.doc_to_text         "Question: ...\nA. ...\n...D. ...\nAnswer:"
    medmcqa         utils_medmcqa.doc_to_text            "Question: ...\nChoices:\nA. ...\nAnswer:"
    pubmedqa        preprocess_pubmedqa.doc_to_text      "Abstract: ...\nQuestion: ...\nAnswer:"
    mmlu_<subject>  mmlu/default/_default_template_yaml  description + "{question.strip()}\nA. ...\nAnswer:"
    headqa_es/en    headqa/headqa_en.yaml                "Question: {qtext}\nAnswer:", choices = answer texts

FrenchMedMCQA is not an lm-eval task; its template (ours) follows the MMLU layout in French, letters A-E.
Each template is its task's `Task.template`, written in the task's module (pipeline/benchmarks/<name>.py);
this module renders them. Options are rendered from Question.options by position, so a rotated question
(pipeline.analysis.variants.rotate) gets its letters anew.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from pipeline import benchmarks
from pipeline.backends.base import Request
from pipeline.benchmarks.task import Template
from warehouse.records import LETTERS, Question, sha256_text

# Bump when any template changes; template_hash changes with it.
PROMPT_VERSION = "lm-eval-0.4/v1"
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
FEWSHOT_SAMPLER = "first_n"  # the shots are the first K of benchmarks.fewshot_pool(task)
MULTI_ANSWER_JOINER = ", "  # a FrenchMedMCQA shot with several correct options shows "B, C, D"


def template_for(task: str) -> Template:
    return benchmarks.get_task(task).template


def choice_strings(question: Question) -> tuple[str, ...]:
    """What each option is scored as, without the delimiter: ("A", "B", ...) or the option texts."""
    if benchmarks.get_task(question.task).lettered_options:
        return tuple(LETTERS[: len(question.options)])
    return tuple(question.options)


def doc_to_text(question: Question) -> str:
    """The question part of the prompt (lm-eval's doc_to_text), without description or shots."""
    template = template_for(question.task)
    letters = LETTERS[: len(question.options)]
    options = "".join(
        template.option_line.format(letter=letter, option=option) for letter, option in zip(letters, question.options)
    )
    return template.doc.format(
        question=question.text, question_stripped=question.text.strip(), context=question.context or "", options=options
    )


def description(question: Question) -> str:
    subject = (question.subject or "").replace("_", " ")
    return template_for(question.task).description.format(subject=subject)


def target(question: Question) -> str:
    """The gold answer as a shot shows it (lm-eval's doc_to_target rendered through doc_to_choice)."""
    choices = choice_strings(question)
    return MULTI_ANSWER_JOINER.join(choices[g] for g in question.golds)


def build_request(question: Question, shots: Sequence[Question] = ()) -> Request:
    """Zero-shot: context = description + question, prefix "". Few-shot: prefix = description + shots."""
    continuations = tuple(TARGET_DELIMITER + choice for choice in choice_strings(question))
    if not shots:
        return Request(question.id, description(question) + doc_to_text(question), continuations)
    for shot in shots:
        if shot.task != question.task:
            raise ValueError(f"shot {shot.id} is from task {shot.task}, not {question.task}")
        if shot.id == question.id:
            raise ValueError(f"shot {shot.id} is the question itself; lm-eval never shows a question its own answer")
    prefix = description(question) + "".join(
        doc_to_text(shot) + TARGET_DELIMITER + target(shot) + FEWSHOT_DELIMITER for shot in shots
    )
    return Request(question.id, doc_to_text(question), continuations, prefix)


def template_hash(task: str, num_fewshot: int = 0) -> str:
    """A hash of everything that shapes this task's prompts (not the questions): stable across runs."""
    template = template_for(task)
    payload = {
        "prompt_version": PROMPT_VERSION,
        "task": task,  # the MMLU description names the task's subject
        "template": dataclasses.asdict(template),
        "target_delimiter": TARGET_DELIMITER,
        "num_fewshot": num_fewshot,
        "fewshot": {
            "delimiter": FEWSHOT_DELIMITER,
            "sampler": FEWSHOT_SAMPLER,
            "multi_answer_joiner": MULTI_ANSWER_JOINER,
        }
        if num_fewshot
        else None,
    }
    return sha256_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))[:16]
