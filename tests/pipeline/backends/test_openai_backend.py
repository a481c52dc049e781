"""The openai backend against a real server process serving the real SmolLM2: scores, modes, identity, cost."""

from __future__ import annotations

import json
import math

import pytest

from pipeline import benchmarks, prompts
from pipeline.backends import BackendError, create_backend
from pipeline.backends.openai_http import HttpClient
from pipeline.backends.openai_parse import GENERATIVE_MAX_TOKENS
from tests.pipeline.backends.conftest import MODEL
from tests.pipeline.backends.fault_proxy import Fault

pytestmark = pytest.mark.slow
PROBE = "The capital of France"
LETTER_INSTRUCTION = (
    "Answer the following multiple choice question. Reply with only the letter (A, B, C or D) "
    "of the correct option.\n\n"
)
WORD_INSTRUCTION = "Answer the following question. Reply with only one word: yes, no or maybe.\n\n"


def sample_questions():
    """Letters (MMLU), yes/no/maybe over a long abstract (PubMedQA), multi-token answer texts (HEAD-QA)."""
    return (
        benchmarks.load_questions("mmlu_anatomy")[:2]
        + benchmarks.load_questions("pubmedqa")[:1]
        + benchmarks.load_questions("headqa_en")[:1]
    )


@pytest.fixture(scope="session")
def hf_backend():
    backend = create_backend("transformers", model=MODEL)
    yield backend
    backend.close()


def api_backend(url, key, **options):
    return create_backend("openai", model=MODEL, base_url=url, api_key=key, concurrency=2, timeout=300, **options)


def test_logprob_mode_reproduces_the_local_transformers_backend(faulty, api_key, hf_backend):
    requests = [prompts.build_request(q) for q in sample_questions()]
    backend = api_backend(faulty.url, api_key)
    try:
        remote = backend.loglikelihood(requests)
    finally:
        backend.close()
    local = hf_backend.loglikelihood(requests)
    assert backend.scoring_mode == "loglikelihood"  # "auto" found echoed prompt log-probs
    headqa = requests[-1]  # answer texts of several tokens: the sum runs over more than one token
    assert any(len(hf_backend.encode_pair(headqa.prompt, c)[1]) > 1 for c in headqa.continuations)

    def argmax(values):
        return max(range(len(values)), key=values.__getitem__)

    for request, r, mine in zip(requests, remote, local):
        assert r.status == "ok" and len(r.loglikelihoods) == len(request.continuations)
        assert max(abs(a - b) for a, b in zip(r.loglikelihoods, mine.loglikelihoods)) < 1e-3
        assert argmax(r.loglikelihoods) == argmax(mine.loglikelihoods)
        # one /completions call per option: usage counts the whole prompt each time, and one token generated
        # (none where the model's next token is end-of-text)
        pairs = [hf_backend.encode_pair(request.prompt, c) for c in request.continuations]
        assert r.input_tokens == sum(len(context) + len(continuation) for context, continuation in pairs)
        assert 0 <= r.output_tokens <= len(request.continuations)
        assert r.latency_ms > 0 and r.raw_output is None and r.cost_usd is None
    completions = [body for path, body in faulty.log if path == "/v1/completions"]
    assert len(completions) == 1 + sum(len(r.continuations) for r in requests)  # the probe, then one per option
    assert backend.stats["retries"] == 0
    # by hand for one option: ask for "...Answer: B" with echo, add up the log-probs of its last prompt tokens
    first = requests[0]
    assert first.prompt.endswith("Answer:") and first.continuations[1] == " B"
    assert remote[0].loglikelihoods[1] == pytest.approx(
        echoed_tail_logprob(faulty.url, api_key, first.prompt, " B"), abs=1e-9
    )


def echoed_tail_logprob(url, key, context, tail):
    """The sum of the echoed log-probs of the prompt tokens that spell `tail`, the prompt's end."""
    client = HttpClient(url, key)
    body = client.post(
        "completions",
        {"model": MODEL, "prompt": context + tail, "max_tokens": 1, "temperature": 0, "echo": True, "logprobs": 1},
    ).body
    client.close()
    logprobs = body["choices"][0]["logprobs"]
    n_prompt = len(logprobs["tokens"]) - body["usage"]["completion_tokens"]
    spelled, values = "", []
    for token, value in zip(logprobs["tokens"][n_prompt - 1 :: -1], logprobs["token_logprobs"][n_prompt - 1 :: -1]):
        if len(spelled) >= len(tail):
            break
        spelled, values = token + spelled, [*values, value]
    assert spelled == tail
    return math.fsum(values)


def test_identity_names_the_served_weights_and_never_the_key(faulty, api_key, hf_backend):
    backend = api_backend(faulty.url, api_key)
    backend.close()
    assert backend.info.name == MODEL
    assert backend.info.revision == hf_backend.info.revision  # the server reports the weights' sha256
    assert (backend.info.source, backend.info.dtype, backend.info.device) == ("api", None, None)
    assert backend.identity_settings == {"scoring_mode": "loglikelihood", "temperature": 0.0}
    for text in (repr(backend), repr(backend.client), repr(backend.info), json.dumps(backend.identity_settings)):
        assert api_key not in text


def test_generative_mode_parses_the_real_models_replies(faulty, api_key):
    questions = sample_questions()[:3]  # letters and words; generating HEAD-QA's long answers adds only time
    requests = [prompts.build_request(q) for q in questions]
    backend = api_backend(
        faulty.url, api_key, scoring_mode="generative", prices={MODEL: {"input": 0.15, "output": 0.6}}
    )
    try:
        scores = backend.loglikelihood(requests)
    finally:
        backend.close()
    assert backend.identity_settings == {
        "scoring_mode": "generative",
        "temperature": 0.0,
        "generative_prompt": "gen-v1",
        "max_tokens": GENERATIVE_MAX_TOKENS,
    }
    chats = [body for path, body in faulty.log if path == "/v1/chat/completions"]
    assert len(chats) == len(requests) and not any(path == "/v1/completions" for path, _ in faulty.log)
    assert {body["messages"][0]["content"] for body in chats} == {
        LETTER_INSTRUCTION + requests[0].prompt,
        LETTER_INSTRUCTION + requests[1].prompt,
        WORD_INSTRUCTION + requests[2].prompt,
    }
    assert all(body["temperature"] == 0 and body["max_tokens"] == GENERATIVE_MAX_TOKENS for body in chats)
    for request, s in zip(requests, scores):
        assert isinstance(s.raw_output, str)  # the reply is kept, parsable or not
        assert (s.status, s.choice is None) in {("ok", False), ("invalid", True)}
        assert s.choice is None or 0 <= s.choice < len(request.continuations)
        assert s.loglikelihoods == ()
        assert 0 < s.output_tokens <= GENERATIVE_MAX_TOKENS and s.input_tokens > 20
        assert s.cost_usd == pytest.approx((s.input_tokens * 0.15 + s.output_tokens * 0.6) / 1e6)
    assert {s.status for s in scores} <= {"ok", "invalid"}


def test_generative_mode_reads_the_answer_from_the_reply(faulty, api_key):
    questions = sample_questions()[:3]
    faulty.reset(
        Fault(questions[0].text, "reply", times=None, reply="**C**"),
        Fault(questions[1].text, "reply", times=None, reply="I cannot tell from this."),
        Fault(questions[2].text, "reply", times=None, reply="Maybe."),
    )
    backend = api_backend(
        faulty.url, api_key, scoring_mode="generative", prices={MODEL: {"input": 0.15, "output": 0.6}}
    )
    try:
        scores = backend.loglikelihood([prompts.build_request(q) for q in questions])
    finally:
        backend.close()
    assert [(s.status, s.choice, s.raw_output) for s in scores] == [
        ("ok", 2, "**C**"),
        ("invalid", None, "I cannot tell from this."),
        ("ok", 2, "Maybe."),
    ]
    # 50 tokens in at $0.15 and 3 out at $0.6 per million
    assert all((s.input_tokens, s.output_tokens) == (50, 3) for s in scores)
    assert all(s.cost_usd == pytest.approx(9.3e-6) for s in scores)


def test_auto_falls_back_to_generative_when_the_server_has_no_prompt_logprobs(faulty, api_key):
    faulty.reset(Fault(PROBE, "400", times=None))  # like OpenAI's chat models on /completions
    backend = api_backend(faulty.url, api_key)
    backend.close()
    assert backend.scoring_mode == "generative"
    with pytest.raises(BackendError, match="does not return prompt log-probabilities.*--scoring-mode generative"):
        api_backend(faulty.url, api_key, scoring_mode="loglikelihood")


def test_setup_errors_are_clear_and_keep_the_key_secret(faulty, api_key, monkeypatch):
    with pytest.raises(BackendError, match="does not serve model 'gpt-7'.*smollm2-135m-instruct") as wrong_model:
        create_backend("openai", model="gpt-7", base_url=faulty.url, api_key=api_key)
    with pytest.raises(BackendError, match="HTTP 401.*Check OPENAI_API_KEY") as wrong_key:
        create_backend("openai", model=MODEL, base_url=faulty.url, api_key="sk-wrong-" + api_key[::-1])
    faulty.reset(Fault("", "401", times=None, echo_key=True))
    with pytest.raises(BackendError, match=r"Incorrect API key provided: \*\*\*") as echoed:
        api_backend(faulty.url, api_key)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match="needs an API key: set OPENAI_API_KEY"):
        create_backend("openai", model="gpt-4o-mini")  # refused before any network access
    for error in (wrong_model, wrong_key, echoed):
        assert api_key not in str(error.value) and error.value.__cause__ is None


def test_unreachable_server_fails_fast_with_what_to_do(unused_port):
    with pytest.raises(BackendError, match="Is the server running") as error:
        create_backend(
            "openai", model=MODEL, base_url=f"http://127.0.0.1:{unused_port}/v1", api_key="k", backoff_base=0.01
        )
    assert "Connection refused" in str(error.value)


def test_prices_from_a_file_named_by_the_environment(faulty, api_key, tmp_path, monkeypatch):
    table = tmp_path / "prices.json"
    table.write_text(json.dumps({MODEL: {"input": 2.5, "output": 10}}))
    monkeypatch.setenv("MEDLB_PRICES", str(table))
    backend = api_backend(faulty.url, api_key)
    try:
        [score] = backend.loglikelihood([prompts.build_request(benchmarks.load_questions("mmlu_anatomy")[0])])
    finally:
        backend.close()
    assert score.cost_usd == pytest.approx((score.input_tokens * 2.5 + score.output_tokens * 10) / 1e6)
    table.write_text(json.dumps({MODEL: {"input": "cheap"}}))
    with pytest.raises(BackendError, match=rf"{table}, model '{MODEL}': needs numeric \"input\" and \"output\""):
        api_backend(faulty.url, api_key)


@pytest.fixture
def unused_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
