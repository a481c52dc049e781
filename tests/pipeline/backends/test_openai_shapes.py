"""Reading servers' answers: echoed log-probs in the shapes different servers use, Retry-After, price tables."""

from __future__ import annotations

import json
from email.utils import formatdate

import pytest

from pipeline.backends import BackendError
from pipeline.backends.openai_api import (
    continuation_logprob,
    load_prices,
    revision_of,
    split_trailing_space,
)
from pipeline.backends.openai_http import Malformed, retry_after_seconds, scrub


def echoed(tokens, values, offsets=None, completion_tokens=1):
    logprobs = {"tokens": tokens, "token_logprobs": values}
    if offsets is not None:
        logprobs["text_offset"] = offsets
    body = {"choices": [{"text": "".join(tokens), "logprobs": logprobs}]}
    if completion_tokens is not None:
        body["usage"] = {"prompt_tokens": len(tokens) - completion_tokens, "completion_tokens": completion_tokens}
    return body


PROMPT = "Fever 39°C?\nAnswer: B"  # non-ASCII before the continuation: byte and character offsets differ
TOKENS = ["Fever", " 39", "°", "C", "?", "\n", "Answer", ":", " B", "\n"]  # last one generated
VALUES = [None, -1.0, -2.0, -0.5, -0.25, -0.1, -3.0, -0.01, -1.25, -0.7]


def offsets(unit_len):
    out, position = [], 0
    for token in TOKENS:
        out.append(position)
        position += unit_len(token)
    return out


@pytest.mark.parametrize(
    "text_offset",
    [
        offsets(len),  # characters (vLLM, medlb serve)
        offsets(lambda t: len(t.encode())),  # bytes
        None,  # no text_offset: split by the token texts
    ],
)
def test_continuation_is_found_from_the_prompts_end_in_any_offset_unit(text_offset):
    assert continuation_logprob(echoed(TOKENS, VALUES, text_offset), PROMPT, " B") == -1.25


def test_multi_token_continuation_sums_its_tokens_and_ignores_the_generated_one():
    tokens = ["Answer", ":", " Fib", "ron", "ectin", " is"]
    values = [None, -0.1, -2.0, -0.5, -0.25, -9.0]
    body = echoed(tokens, values, offsets=[0, 6, 7, 11, 14, 19])
    assert continuation_logprob(body, "Answer: Fibronectin", " Fibronectin") == -2.75
    body_without_usage = echoed(tokens, values, offsets=[0, 6, 7, 11, 14, 19], completion_tokens=None)
    assert continuation_logprob(body_without_usage, "Answer: Fibronectin", " Fibronectin") == -2.75


def test_a_token_straddling_the_boundary_counts_for_the_continuation():
    # context "Answer:" + continuation "A" where the server merged ":A" into one token
    body = echoed(["Answer", ":A", "\n"], [None, -4.0, -1.0], offsets=[0, 6, 8])
    assert continuation_logprob(body, "Answer:A", "A") == -4.0


@pytest.mark.parametrize(
    "body, message",
    [
        ({"choices": [{"text": "x", "logprobs": None}]}, "no echoed tokens"),
        (echoed([" B"], [-1.0], completion_tokens=1), "did not echo the prompt"),  # only the generated token
        (echoed(["Answer", ":", " C", "\n"], [None, -1.0, -2.0, -1.0], [0, 6, 7, 9]), "does not end with ' B'"),
        (echoed(["Answer", ":", " B", "\n"], [None, -1.0, None, -1.0], [0, 6, 7, 9]), "has no log-prob"),
    ],
)
def test_answers_without_usable_logprobs_are_malformed(body, message):
    with pytest.raises(Malformed, match=message):
        continuation_logprob(body, "Answer: B", " B")


def test_trailing_whitespace_moves_to_the_continuation_as_in_lm_eval():
    assert split_trailing_space("Answer: ", "B") == ("Answer:", " B")
    assert split_trailing_space("Answer:", " B") == ("Answer:", " B")


def test_retry_after_in_seconds_milliseconds_or_a_date():
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"retry-after-ms": "250", "Retry-After": "7"}) == 0.25
    assert 28 <= retry_after_seconds({"Retry-After": formatdate(__import__("time").time() + 30, usegmt=True)}) <= 30
    assert retry_after_seconds({"Retry-After": "soon"}) is None and retry_after_seconds({}) is None


def test_revision_prefers_what_the_server_reports():
    assert revision_of({"id": "m", "revision": "sha256:abc"}, "m", "http://localhost:8000/v1") == "sha256:abc"
    assert (
        revision_of({"id": "gpt-4o-mini", "created": 1721172741}, "gpt-4o-mini", "https://api.openai.com/v1")
        == "gpt-4o-mini@1721172741"
    )
    # vLLM's created is the time of the request: not an identity; its root names the weights
    assert (
        revision_of({"id": "med", "created": 1, "root": "/models/llama-3-8b"}, "med", "http://localhost:8000/v1")
        == "served:med@/models/llama-3-8b"
    )
    assert revision_of({}, "llama3", "http://localhost:11434/v1") == "served:llama3"


def test_price_tables_and_their_errors(tmp_path):
    assert load_prices({"m": {"input": "0.15", "output": 0.6}}) == {"m": {"input": 0.15, "output": 0.6}}
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"m": {"input": 1, "output": 2}}))
    assert load_prices(str(path)) == {"m": {"input": 1.0, "output": 2.0}}
    path.write_text("{not json")
    with pytest.raises(BackendError, match=f"price table {path}: not JSON"):
        load_prices(path)
    with pytest.raises(BackendError, match="price table .*missing.json not found"):
        load_prices(tmp_path / "missing.json")


def test_scrub_removes_every_occurrence_of_the_secret():
    assert scrub("key sk-1 and sk-1 again", "sk-1") == "key *** and *** again"
    assert scrub("nothing", None) == "nothing"


def test_scrub_removes_a_prefix_of_the_key_of_eight_characters_or_more():
    key = "sk-SECRET1234567890"
    assert scrub("cut here: sk-SECRET12", key) == "cut here: ***"  # 11 of the key's characters, at the very end
    assert scrub("echoed sk-SECRE and more", key) == "echoed *** and more"  # exactly 8
    assert scrub("echoed sk-SECR and more", key) == "echoed sk-SECR and more"  # 7: too short to say it is the key
    assert scrub(f"{key}{key}sk-SECRET1", key) == "*********"  # whole keys first, then the fragment
