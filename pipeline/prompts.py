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
Options are rendered from Question.options by position, so a permuted question gets its letters anew.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Sequence

from pipeline.benchmarks import TASKS, UnknownTask
from pipeline.backends.base import Request

# Bump when any template below changes; template_hash changes with it.
from warehouse.records import LETTERS, Question, sha256_text

# Bump when any template below changes; template_hash changes with it.
PROMPT_VERSION = "lm-eval-0.4/v1"
TARGET_DELIMITER = " "
FEWSHOT_DELIMITER = "\n\n"
FEWSHOT_SAMPLER = "first_n"  # the shots are the first K of benchmarks.fewshot_pool(task)
MULTI_ANSWER_JOINER = ", "  # a FrenchMedMCQA shot with several correct options shows "B, C, D"


@dataclass(frozen=True)
class Template:
    """One task family's prompt, as data: template_hash hashes exactly these fields."""

    doc: str  # str.format fields: question, question_stripped, context, options
    option_line: str = ""  # rendered once per option into {options}: fields letter, option
    description: str = ""  # placed before everything else; field: subject (underscores as spaces)
    choices: str = "letters"  # "letters": A, B, ... scored; "options": the option texts themselves


TEMPLATES: dict[str, Template] = {
    "medqa": Template("Question: {question}\n{options}Answer:", "{letter}. {option}\n"),
    "medmcqa": Template("Question: {question}\nChoices:\n{options}Answer:", "{letter}. {option}\n"),
    "pubmedqa": Template("Abstract: {context}\nQuestion: {question}\nAnswer:", choices="options"),
    "mmlu": Template(
        "{question_stripped}\n{options}Answer:", "{letter}. {option}\n",
        "The following are multiple choice questions (with answers) about {subject}.\n\n",
    ),
    "headqa": Template("Question: {question}\nAnswer:", choices="options"),
    "frenchmedmcqa": Template(
        "Question : {question}\n{options}Réponse :", "{letter}. {option}\n",
        "Voici des questions à choix multiples (avec réponses) de {subject}. "
        "Une ou plusieurs réponses peuvent être correctes.\n\n",
    ),
}


def template_for(task: str) -> Template:
    if task not in TASKS:
        raise UnknownTask(f"no prompt template for unknown task {task!r}")
    return TEMPLATES[TASKS[task].benchmark]


def choice_strings(question: Question) -> tuple[str, ...]:
    """What each option is scored as, without the delimiter: ("A", "B", ...) or the option texts."""
    if template_for(question.task).choices == "options":
        return tuple(question.options)
    return tuple(LETTERS[: len(question.options)])


def doc_to_text(question: Question) -> str:
    """The question part of the prompt (lm-eval's doc_to_text), without description or shots."""
    template = template_for(question.task)
    letters = LETTERS[: len(question.options)]
    options = "".join(template.option_line.format(letter=letter, option=option)
                      for letter, option in zip(letters, question.options))
    return template.doc.format(question=question.text, question_stripped=question.text.strip(),
                               context=question.context or "", options=options)


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
        "fewshot": {"delimiter": FEWSHOT_DELIMITER, "sampler": FEWSHOT_SAMPLER,
                    "multi_answer_joiner": MULTI_ANSWER_JOINER} if num_fewshot else None,
    }
    return sha256_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))[:16]


def permuted(question: Question, shift: int) -> Question:
    """Options rotated cyclically: shown option i is original option (i + shift) mod n; golds follow; same id."""
    n = len(question.options)
    shift %= n
    options = tuple(question.options[(i + shift) % n] for i in range(n))
    golds = tuple(sorted((g - shift) % n for g in question.golds))
    return dataclasses.replace(question, options=options, golds=golds)
