"""Free-text generation for the transformers backend (HFBackend.generate): batched, left-padded, greedy by default.

Prompt. A model whose tokenizer has a chat template (SmolLM2: ChatML) reads its template rendered with
add_generation_prompt=True, tokenized without adding special tokens (the template writes its own). A model
without one (Gemma 3 270M is a base model) reads PLAIN_PROMPT_VERSION's layout, tokenized with the
tokenizer's default special tokens (BOS for Gemma):

    <system content>\\n\\n            (only if a system message is given)
    Question: <user content>\\n       (each user turn)
    Answer: <assistant content>\\n\\n (each earlier assistant turn)
    Answer:                           (the model continues from here)

Decoding. Requests are grouped by their sampling settings, sorted by prompt length, and cut into batches of
batch_size rows; each batch is left-padded with an attention mask, so every row's last prompt token sits
in the last column and generation continues all rows at once. A row stops at its first end-of-text /
end-of-turn token (the tokenizer's EOS and the generation config's); that token is not part of the text
nor of output_tokens. Temperature 0 is greedy; above 0 samples with torch's generator seeded per batch,
so a sampled answer depends on its batch-mates: record it, and use greedy where answers must reproduce.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from pipeline.backends.base import Generation, GenerationRequest
from warehouse.records import sha256_text

PLAIN_PROMPT_VERSION = "plain-question-answer/v1"
PLAIN_LABELS = {"user": "Question: ", "assistant": "Answer: "}


def plain_prompt(messages: Sequence[tuple[str, str]]) -> str:
    parts = []
    for role, content in messages:
        if role == "system":
            parts.append(content + "\n\n")
        elif role in PLAIN_LABELS:
            parts.append(PLAIN_LABELS[role] + content + ("\n" if role == "user" else "\n\n"))
        else:
            raise ValueError(f"message role {role!r}: choose system, user or assistant")
    return "".join(parts) + "Answer:"


def prompt_format(tokenizer) -> str:
    """What frames the conversation: the chat template's hash, or the plain layout's version."""
    template = getattr(tokenizer, "chat_template", None)
    return f"chat-template:{sha256_text(template)[:16]}" if template else PLAIN_PROMPT_VERSION


def render(backend, messages: Sequence[tuple[str, str]]) -> tuple[str, list[int]]:
    """The exact prompt text and its tokens."""
    tokenizer = backend.tokenizer
    if getattr(tokenizer, "chat_template", None):
        chat = [{"role": role, "content": content} for role, content in messages]
        text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        return text, tokenizer.encode(text, add_special_tokens=False)
    text = plain_prompt(messages)
    return text, backend.tok_encode(text)


def eos_ids(backend) -> set[int]:
    found = {backend.tokenizer.eos_token_id}
    configured = getattr(getattr(backend.model, "generation_config", None), "eos_token_id", None)
    found |= set(configured if isinstance(configured, list) else [configured])
    return {i for i in found if i is not None}


def generate(backend, requests: Sequence[GenerationRequest]) -> list[Generation]:
    rendered = [render(backend, r.messages) for r in requests]
    results: list[Generation | None] = [None] * len(requests)
    groups: dict[tuple, list[int]] = {}
    for index, request in enumerate(requests):
        _, ids = rendered[index]
        limit = backend.max_length
        if len(ids) + request.max_new_tokens > limit:
            results[index] = Generation(
                text=f"prompt of {len(ids)} tokens + max_new_tokens {request.max_new_tokens} exceeds the model's "
                f"context of {limit}: lower max_new_tokens or shorten the prompt",
                prompt=rendered[index][0],
                input_tokens=len(ids),
                status="failed",
            )
            continue
        groups.setdefault((request.max_new_tokens, request.temperature, request.seed), []).append(index)
    stop = eos_ids(backend)
    for (max_new, temperature, seed), indices in groups.items():
        indices.sort(key=lambda i: -len(rendered[i][1]))
        for start in range(0, len(indices), backend.batch_size):
            batch = indices[start : start + backend.batch_size]
            outputs, share_ms = _run_batch(backend, [rendered[i][1] for i in batch], max_new, temperature, seed, stop)
            for index, new_ids in zip(batch, outputs):
                results[index] = _generation(backend, rendered[index], new_ids, stop, share_ms, len(batch))
    return results  # type: ignore[return-value]


def _run_batch(backend, rows: list[list[int]], max_new: int, temperature: float, seed: int, stop: set[int]):
    width = max(len(r) for r in rows)
    input_ids = backend.tensor([[backend.pad_id] * (width - len(r)) + list(r) for r in rows])
    mask = backend.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
    sampling = {"do_sample": False} if temperature == 0 else {"do_sample": True, "temperature": temperature}
    if temperature:
        torch.manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = backend.model.generate(
            input_ids=input_ids,
            attention_mask=mask,
            max_new_tokens=max_new,
            eos_token_id=sorted(stop),
            pad_token_id=backend.pad_id,
            top_k=None,
            top_p=None,
            **sampling,
        )
    share_ms = (time.perf_counter() - started) * 1000 / len(rows)
    return [out[row, width:].tolist() for row in range(len(rows))], share_ms


def _generation(backend, rendered, new_ids: list[int], stop: set[int], share_ms: float, rows: int) -> Generation:
    text, ids = rendered
    cut = next((i for i, token in enumerate(new_ids) if token in stop), None)
    kept = new_ids if cut is None else new_ids[:cut]
    return Generation(
        text=backend.tokenizer.decode(kept, skip_special_tokens=True),
        prompt=text,
        input_tokens=len(ids),
        output_tokens=len(kept),
        latency_ms=share_ms,
        finish_reason="stop" if cut is not None else "length",
        settings={"prompt_format": prompt_format(backend.tokenizer), "batch_rows": rows, "padding": "left"},
    )
