"""Generative scoring's prompt and reply parsers: pure functions, no server."""

from __future__ import annotations

import pytest

from pipeline.backends.openai_parse import (
    chat_prompt,
    instruction,
    option_texts,
    parse_lenient,
    parse_reply,
    parse_strict,
)

LETTERS = ["A", "B", "C", "D"]
PROMPT = (
    "Question: Which vitamin deficiency causes scurvy?\nA. Vitamin A\nB. Vitamin B12\nC. Vitamin C\n"
    "D. Vitamin B\nAnswer:"
)


def test_prompt_is_the_lm_eval_text_after_one_instruction_line():
    text = chat_prompt(PROMPT, (" A", " B", " C", " D"))
    assert text == (
        "Answer the following multiple choice question. Reply with only the letter (A, B, C or D) "
        "of the correct option.\n\n" + PROMPT
    )
    assert (
        instruction(["yes", "no", "maybe"])
        == "Answer the following question. Reply with only one word: yes, no or maybe."
    )
    assert instruction(["Aspirin", "Heparin 5000 IU"]).endswith(
        "copied exactly from this list:\n- Aspirin\n- Heparin 5000 IU"
    )


def test_option_text_labels_match_whole_text():
    labels = ["Aspirin", "Heparin 5000 IU"]
    assert parse_reply("heparin 5000 iu", labels) == 1
    assert parse_reply("I would give Aspirin.", labels) == 0
    assert parse_reply("Heparin", labels) is None


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("C", 2),
        (" C\n", 2),
        ("C.", 2),
        ("(C)", 2),
        ("**C**", 2),
        ("Answer: C", 2),
        ("answer: c", None),
        ("The answer is B", 1),
        ("Answer: D.", 3),
        ("E", None),
        ("C because", None),
        ("", None),
    ],
)
def test_strict_parser_takes_only_a_bare_label(reply, expected):
    assert parse_strict(reply, LETTERS) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("The correct option is C, since ascorbic acid...", 2),
        ("I think B. Vitamin B12 is right", 1),
        ("A patient with scurvy lacks vitamin C. Answer: (C) Vitamin C", 2),  # the article "A" is not an answer
        ("Either A or C", None),  # two letters: ambiguous
        ("Scurvy is caused by a lack of vitamin C.", 2),  # no letter: exactly one option's text
        ("It is Vitamin B12.", 1),  # "Vitamin B" is inside "Vitamin B12": the longer option wins
        ("I am not sure.", None),
    ],
)
def test_lenient_parser_needs_one_unambiguous_answer(reply, expected):
    assert parse_lenient(reply, LETTERS, PROMPT) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("yes", 0),
        ("No.", 1),
        ("Maybe", 2),
        ("Yes, the trial shows a benefit.", 0),
        ("yes or no", None),
        ("unclear", None),
    ],
)
def test_word_labels(reply, expected):
    assert parse_reply(reply, ["yes", "no", "maybe"], "Abstract: ...\nQuestion: ...?\nAnswer:") == expected


def test_option_texts_come_from_the_asked_question_not_the_shots():
    shots = "Question: q1\nA. one\nB. two\nAnswer: A\n\n"
    assert option_texts(shots + PROMPT, LETTERS) == {0: "Vitamin A", 1: "Vitamin B12", 2: "Vitamin C", 3: "Vitamin B"}
