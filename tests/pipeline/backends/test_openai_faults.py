"""Retries, failures and concurrency, with faults injected by a proxy in front of the real model server."""

from __future__ import annotations

import logging

import pytest

from pipeline import benchmarks, prompts
from pipeline.backends import BackendError, create_backend
from pipeline.backends.openai_api import continuation_logprob, logprob_payload
from pipeline.backends.openai_http import HttpClient
from tests.pipeline.backends.conftest import MODEL
from tests.pipeline.backends.fault_proxy import Fault

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def questions():
    return benchmarks.load_questions("mmlu_anatomy")[:3]


@pytest.fixture(scope="module")
def reference(proxy, api_key, questions):
    """Fault-free scores of the three questions, to compare the retried ones against."""
    proxy.reset()
    backend = make_backend(proxy.url, api_key)
    try:
        return backend.loglikelihood([prompts.build_request(q) for q in questions])
    finally:
        backend.close()


def make_backend(url, key, **options):
    """Tiny backoff, and sleeps recorded instead of slept: the waits are asserted, not timed."""
    backend = create_backend(
        "openai", model=MODEL, base_url=url, api_key=key, concurrency=2, timeout=300, backoff_base=0.001, **options
    )
    backend.client.sleep = lambda seconds: None
    return backend


def score(backend, questions):
    try:
        return backend.loglikelihood([prompts.build_request(q) for q in questions])
    finally:
        backend.close()


def test_429_honours_retry_after_and_then_scores_the_same(faulty, api_key, questions, reference):
    target = questions[0].text
    faulty.reset(Fault(target, "429", times=2, retry_after="1.5"))
    backend = make_backend(faulty.url, api_key)
    scores = score(backend, questions)
    assert [s.loglikelihoods for s in scores] == [s.loglikelihoods for s in reference]
    assert backend.stats["retry:http429"] == 2 and backend.stats["retries"] == 2
    assert len(backend.client.waits) == 2 and all(1.5 <= w <= 1.65 for w in backend.client.waits)
    assert faulty.requests_matching(target) == 4 + 2  # four options, two of the calls asked twice more


def test_5xx_and_malformed_json_are_retried(faulty, api_key, questions, reference):
    faulty.reset(
        Fault((questions[1].text, "Answer: B"), "500", times=2),
        Fault((questions[2].text, "Answer: D"), "502", times=1),
        Fault((questions[0].text, "Answer: C"), "malformed", times=3),
    )
    backend = make_backend(faulty.url, api_key)
    scores = score(backend, questions)
    assert [s.loglikelihoods for s in scores] == [s.loglikelihoods for s in reference]
    assert backend.stats["retry:http500"] == 2 and backend.stats["retry:http502"] == 1
    assert backend.stats["retry:malformed"] == 3 and backend.stats["failed"] == 0
    waits = backend.client.waits
    assert len(waits) == 6 and all(0 < w <= 0.001 * 2**2 for w in waits)  # exponential, jittered, tiny here


def test_a_question_that_keeps_failing_is_failed_not_dropped(faulty, api_key, questions, reference, caplog):
    target = questions[1].text
    faulty.reset(Fault(target, "503", times=None, echo_key=True))
    backend = make_backend(faulty.url, api_key, max_retries=3)
    with caplog.at_level(logging.DEBUG):
        scores = score(backend, questions)
    failed = scores[1]
    assert (failed.status, failed.loglikelihoods, failed.choice) == ("failed", (), None)
    assert "failed after 4 attempts" in failed.raw_output and "HTTP 503" in failed.raw_output
    assert [scores[0].loglikelihoods, scores[2].loglikelihoods] == [
        reference[0].loglikelihoods,
        reference[2].loglikelihoods,
    ]
    assert faulty.requests_matching(target) == 4 * 4  # each option: the first try and three retries
    assert backend.stats["failed"] == 4 and backend.stats["retry:http503"] == 12
    # the server quoted the key in its error: scrubbed from the stored text and from every log line
    assert "***" in failed.raw_output and api_key not in failed.raw_output
    assert "Incorrect API key provided: ***" in caplog.text and api_key not in caplog.text


def test_a_rejected_request_is_not_retried(faulty, api_key, questions):
    target = questions[2].text
    faulty.reset(Fault(target, "400", times=None))
    backend = make_backend(faulty.url, api_key)
    scores = score(backend, questions)
    assert [s.status for s in scores] == ["ok", "ok", "failed"]
    assert "HTTP 400" in scores[2].raw_output
    assert faulty.requests_matching(target) == 4 and backend.stats["retries"] == 0


def test_an_auth_error_mid_run_stops_the_run_without_the_key(faulty, api_key, questions):
    backend = make_backend(faulty.url, api_key)
    faulty.reset(Fault(questions[0].text, "401", times=None, echo_key=True))
    with pytest.raises(
        BackendError, match=r"HTTP 401.*Incorrect API key provided: \*\*\*.*Check OPENAI_API_KEY"
    ) as error:
        score(backend, questions)
    assert api_key not in str(error.value)


def test_timeouts_are_retried(faulty, api_key):
    faulty.reset(Fault("Hello there", "timeout", times=1))
    faulty.timeout_sleep = 3.0
    client = HttpClient(faulty.url, api_key, timeout=1.5, max_retries=2, backoff_base=0.001)
    client.sleep = lambda seconds: None
    prompt = "Hello there, general"
    answer = client.post(
        "completions",
        logprob_payload(MODEL, prompt),
        validate=lambda body: continuation_logprob(body, prompt, " general"),
    )
    assert answer.attempts == 2 and client.stats["retry:timeout"] == 1
    assert continuation_logprob(answer.body, prompt, " general") < 0


def test_requests_in_flight_stay_within_the_concurrency_bound(faulty, api_key, questions, reference):
    faulty.reset(delay=0.2)  # hold each forwarded call open long enough for the next ones to queue up
    backend = make_backend(faulty.url, api_key)  # concurrency=2
    scores = score(backend, questions)
    assert [s.loglikelihoods for s in scores] == [s.loglikelihoods for s in reference]
    assert faulty.max_in_flight == 2
