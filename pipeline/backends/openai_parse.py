"""Generative scoring: the chat prompt that asks for an answer, and the parsers that read the reply.

The prompt is the task's lm-eval prompt text, unchanged (it ends in "Answer:"), after one instruction
line naming the allowed answers, sent as a single user message at temperature 0:

    Answer the following multiple choice question. Reply with only the letter (A, B, C or D) of the correct option.

    Question: A 23-year-old ...
    A. ...
    ...
    Answer:

For tasks whose answers are words (PubMedQA: yes / no / maybe) the line reads
"Answer the following question. Reply with only one word: yes, no or maybe."; where the answers are
option texts (HEAD-QA), it asks for the answer "copied exactly from this list" and lists them.

The answer labels are the request's continuations without their leading space (" A" -> "A"), so a
prompt change in pipeline.prompts carries over here. Parsing is strict first (the whole reply is a
label, or "Answer: <label>", allowing brackets, bold and a final full stop), lenient second (one
unambiguous label in the reply, or exactly one option's text); anything else is invalid.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

GENERATIVE_PROMPT_VERSION = "gen-v1"
GENERATIVE_MAX_TOKENS = 32
_OPTION_LINE = re.compile(r"^([A-J])\. (.+)$", re.MULTILINE)
_DECORATION = " \t\r\n*_`'\"().:[]"


def answer_labels(continuations: Sequence[str]) -> list[str]:
    return [c.strip() for c in continuations]


def _join_or(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def instruction(labels: Sequence[str]) -> str:
    if all(len(label) == 1 and label.isupper() for label in labels):
        return (
            "Answer the following multiple choice question. "
            f"Reply with only the letter ({_join_or(labels)}) of the correct option."
        )
    if all(label.isalpha() for label in labels):
        return f"Answer the following question. Reply with only one word: {_join_or(labels)}."
    # HEAD-QA scores the option texts themselves: list them, since the prompt does not
    listed = "".join(f"\n- {label}" for label in labels)
    return f"Answer the following question. Reply with only the correct answer, copied exactly from this list:{listed}"


def chat_prompt(prompt: str, continuations: Sequence[str]) -> str:
    return f"{instruction(answer_labels(continuations))}\n\n{prompt}"


def option_texts(prompt: str, labels: Sequence[str]) -> dict[int, str]:
    """Option texts from the prompt's last 'A. text' block, for the lenient exact-text match."""
    found: dict[int, str] = {}
    for match in _OPTION_LINE.finditer(prompt):  # later blocks (the asked question) overwrite few-shot ones
        if match.group(1) in labels:
            found[labels.index(match.group(1))] = match.group(2).strip()
    return found


def parse_strict(reply: str, labels: Sequence[str]) -> int | None:
    """The reply is just a label ("B", "(B)", "**B.**") or "Answer: B"."""
    text = reply.strip().strip(_DECORATION)
    text = re.sub(r"^(?:the\s+)?(?:final\s+)?answer(?:\s+is)?\s*[:\-]?\s*", "", text, flags=re.IGNORECASE)
    text = text.strip(_DECORATION)
    for index, label in enumerate(labels):
        if text == label or (len(label) > 1 and text.lower() == label.lower()):
            return index
    return None


def parse_lenient(reply: str, labels: Sequence[str], prompt: str = "") -> int | None:
    """One unambiguous label in the reply, or else exactly one option's text."""
    stated = _stated_answers(reply, labels)
    if len(stated) == 1:
        return stated.pop()
    mentioned = _mentioned_labels(reply, labels)
    if len(mentioned) == 1:
        return mentioned.pop()
    if mentioned:
        return None  # several labels named: ambiguous, do not guess from option texts either
    return _option_text_match(reply, option_texts(prompt, labels))


def parse_reply(reply: str | None, labels: Sequence[str], prompt: str = "") -> int | None:
    if not reply:
        return None
    strict = parse_strict(reply, labels)
    return strict if strict is not None else parse_lenient(reply, labels, prompt)


def _label_pattern(label: str) -> str:
    if len(label) == 1:
        # a capital letter standing alone; "A patient ..." (the article) is not an answer, "A or C" is
        return rf"(?<![A-Za-z0-9]){re.escape(label)}(?![A-Za-z0-9])(?! (?!or\b|and\b)[a-z])"
    return rf"(?<![A-Za-z]){re.escape(label)}(?![A-Za-z])"


def _stated_answers(reply: str, labels: Sequence[str]) -> set[int]:
    """Labels after 'answer is' / 'Answer:' / 'option': the model saying which it picks."""
    found = set()
    for index, label in enumerate(labels):
        flags = re.IGNORECASE if len(label) > 1 else 0
        cue = r"(?i:answer\s*(?:is)?\s*[:\-]?|option|choice)\s*[(*]*\s*"
        if re.search(cue + _label_pattern(label), reply, flags):
            found.add(index)
    return found


def _mentioned_labels(reply: str, labels: Sequence[str]) -> set[int]:
    found = set()
    for index, label in enumerate(labels):
        flags = re.IGNORECASE if len(label) > 1 else 0
        if re.search(_label_pattern(label), reply, flags):
            found.add(index)
    return found


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.lower())).strip()


def _option_text_match(reply: str, options: dict[int, str]) -> int | None:
    said = f" {_normalise(reply)} "
    hits = {i: _normalise(t) for i, t in options.items() if _normalise(t) and f" {_normalise(t)} " in said}
    # "vitamin b12" also contains "vitamin b": keep only hits that are not part of a longer hit
    longest = [i for i, t in hits.items() if not any(t != u and t in u for u in hits.values())]
    return longest[0] if len(longest) == 1 else None
