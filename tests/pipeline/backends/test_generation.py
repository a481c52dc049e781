"""Backend.generate on the real SmolLM2-135M-Instruct: transformers (batched, left-padded) against a plain greedy
loop of full forward passes, and the openai backend against the real `medlb serve` process."""

from __future__ import annotations

import json

import pytest
import torch

from pipeline.backends import create_backend
from pipeline.backends.base import GenerationRequest
from pipeline.backends.hf_generation import PLAIN_PROMPT_VERSION, plain_prompt, prompt_format
from tests.pipeline.backends.conftest import MODEL

pytestmark = pytest.mark.slow
NEW = 6  # tokens per answer: enough to prove the loop, cheap on two shared cores
QUESTIONS = ("Is it contagious?", "I take zyrtec for my allergies will hydroxyzine be ok to take with it?")


def requests(max_new: int = NEW) -> list[GenerationRequest]:
    return [GenerationRequest(f"q{i}", (("user", q),), max_new_tokens=max_new) for i, q in enumerate(QUESTIONS)]


@pytest.fixture(scope="module")
def backend():
    b = create_backend("transformers", model=MODEL, batch_size=4)
    yield b
    b.close()


def greedy_by_hand(backend, text: str, n: int) -> tuple[list[int], list[int]]:
    """The obvious way: the whole sequence through the model each step, argmax, stop at EOS (not kept)."""
    ids = backend.tokenizer.encode(text, add_special_tokens=False)
    eos = {backend.tokenizer.eos_token_id, backend.model.generation_config.eos_token_id}
    new: list[int] = []
    with torch.inference_mode():
        for _ in range(n):
            token = int(backend.model(torch.tensor([ids + new])).logits[0, -1].argmax())
            if token in eos:
                break
            new.append(token)
    return ids, new


def test_batched_left_padded_generation_is_the_greedy_loop(backend):
    batched = backend.generate(requests())
    for request, got in zip(requests(), batched):
        chat = [{"role": "user", "content": request.messages[0][1]}]
        text = backend.tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        assert got.prompt == text and text.endswith("<|im_start|>assistant\n")  # SmolLM2's ChatML template
        ids, new = greedy_by_hand(backend, text, NEW)
        assert got.text == backend.tokenizer.decode(new, skip_special_tokens=True)
        assert (got.input_tokens, got.output_tokens) == (len(ids), len(new))
        assert got.finish_reason == ("length" if len(new) == NEW else "stop") and got.status == "ok"
        assert got.settings == {"prompt_format": prompt_format(backend.tokenizer), "batch_rows": 2, "padding": "left"}
        assert got.latency_ms > 0
    assert len({g.input_tokens for g in batched}) == 2  # different lengths: the shorter row really was padded


def test_prompt_too_long_for_the_model_fails_that_request_only(backend):
    big = GenerationRequest("big", (("user", "x"),), max_new_tokens=backend.max_length)
    out = backend.generate([big, requests()[0]])
    assert out[0].status == "failed" and "exceeds the model's context" in out[0].text
    assert out[1].status == "ok"


def test_plain_prompt_for_models_without_a_chat_template():
    messages = (("system", "Be brief."), ("user", "Q1?"), ("assistant", "A1."), ("user", "Q2?"))
    assert plain_prompt(messages) == "Be brief.\n\nQuestion: Q1?\nAnswer: A1.\n\nQuestion: Q2?\nAnswer:"
    assert plain_prompt((("user", "Is it contagious?"),)) == "Question: Is it contagious?\nAnswer:"

    class NoTemplate:
        chat_template = None

    assert prompt_format(NoTemplate()) == PLAIN_PROMPT_VERSION
    with pytest.raises(ValueError, match="role 'tool'"):
        plain_prompt((("tool", "x"),))


def test_openai_backend_sends_the_messages_and_reads_the_served_greedy_answer(faulty, api_key, backend):
    api = create_backend(
        "openai",
        model=MODEL,
        base_url=faulty.url,
        api_key=api_key,
        scoring_mode="generative",
        concurrency=2,
        timeout=300,
        prices={MODEL: {"input": 0.15, "output": 0.6}},
    )
    try:
        got = api.generate(requests())
    finally:
        api.close()
    chats = [body for path, body in faulty.log if path == "/v1/chat/completions"]
    assert sorted(json.dumps(b["messages"]) for b in chats) == sorted(r.messages_json for r in requests())
    assert all(b["temperature"] == 0 and b["max_tokens"] == NEW and "seed" not in b for b in chats)
    local = {r.request_id: g for r, g in zip(requests(), backend.generate(requests()))}
    for request, g in zip(requests(), got):
        assert g.status == "ok" and g.text == local[request.request_id].text  # the server decodes greedily too
        assert g.output_tokens == local[request.request_id].output_tokens
        assert g.cost_usd == pytest.approx((g.input_tokens * 0.15 + g.output_tokens * 0.6) / 1e6)
        assert api_key not in g.text


def test_sampling_settings_are_recorded():
    sampled = GenerationRequest("s", (("user", "x"),), max_new_tokens=5, temperature=0.7, seed=3)
    assert sampled.sampling == {"max_new_tokens": 5, "temperature": 0.7, "greedy": False, "seed": 3}
    assert requests()[0].sampling == {"max_new_tokens": NEW, "temperature": 0.0, "greedy": True}
    assert json.loads(requests()[0].messages_json) == [{"role": "user", "content": QUESTIONS[0]}]
