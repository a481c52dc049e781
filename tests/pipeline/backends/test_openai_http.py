"""HttpClient against a loopback stub with canned replies: what is retried, how long it waits, what it never leaks."""

from __future__ import annotations

import logging

import pytest

from pipeline import run
from pipeline.backends import BackendError, create_backend
from pipeline.backends.openai_http import AuthRejected, HttpClient, RequestFailed
from tests.pipeline.backends.stub_server import Canned, StubServer, error_reply

KEY = "sk-SECRET1234567890abcdefghij"
OK = Canned(200, b'{"data": []}')


@pytest.fixture
def stub(request):
    server = StubServer(*request.param)
    yield server
    server.close()


def client_for(stub, max_retries=3, backoff_base=0.5):
    client = HttpClient(stub.url, KEY, timeout=5, max_retries=max_retries, backoff_base=backoff_base)
    client.sleep = lambda seconds: None  # the waits are recorded in client.waits, not slept
    return client


@pytest.mark.parametrize("stub", [[error_reply(400, "a" * 290 + KEY)]], indirect=True)
def test_a_key_straddling_the_error_cut_leaves_no_fragment(stub):
    # the message is cut at 300 characters: the key's first 10 would survive a scrub done after the cut
    with pytest.raises(RequestFailed) as error:
        client_for(stub).get("models")
    assert str(error.value).endswith("HTTP 400 " + "a" * 290 + "***")
    assert KEY[:8] not in str(error.value)


@pytest.mark.parametrize("stub", [[error_reply(503, "b" * 288 + KEY)]], indirect=True)
def test_a_straddling_key_is_scrubbed_from_retry_logs_and_the_final_error(stub, caplog):
    with caplog.at_level(logging.WARNING), pytest.raises(RequestFailed) as error:
        client_for(stub, max_retries=1).get("models")
    assert "failed after 2 attempts: HTTP 503 " + "b" * 288 + "***" in str(error.value)
    assert caplog.text.count("b" * 288 + "***") == 1 and KEY[:8] not in caplog.text


@pytest.mark.parametrize("stub", [[error_reply(401, "Incorrect API key provided: " + KEY[:12])]], indirect=True)
def test_a_key_the_server_cut_short_itself_is_scrubbed(stub):
    with pytest.raises(AuthRejected) as error:
        client_for(stub).get("models")
    assert str(error.value).endswith("HTTP 401 Incorrect API key provided: ***")
    assert len(stub.log) == 1  # a rejected key is not retried
    assert stub.log[0][2]["Authorization"] == "Bearer " + KEY


@pytest.mark.parametrize(
    "stub",
    [
        [
            error_reply(429, "slow down", **{"retry-after-ms": "250"}),
            error_reply(429, "slow down", **{"Retry-After": "600"}),
            OK,
        ]
    ],
    indirect=True,
)
def test_retry_after_is_honoured_up_to_the_cap(stub):
    client = client_for(stub)
    answer = client.get("models")
    assert (answer.body, answer.attempts) == ({"data": []}, 3)
    first, second = client.waits
    assert 0.25 <= first <= 0.25 * 1.1  # what the server asked, plus up to 10% jitter
    assert 120 <= second <= 120 * 1.1  # 600 s asked, 120 s (the cap) taken
    assert client.stats == {"requests": 3, "retries": 2, "retry:http429": 2}


@pytest.mark.parametrize(
    "stub", [[Canned(drop=True), Canned(200, b'{"choices": [{"te'), error_reply(500, "oops"), OK]], indirect=True
)
def test_dropped_connections_malformed_answers_and_5xx_back_off_exponentially(stub):
    client = client_for(stub, backoff_base=0.5)
    assert client.get("models").attempts == 4
    assert client.stats["retry:connection"] == client.stats["retry:malformed"] == client.stats["retry:http500"] == 1
    # equal jitter on 0.5 s doubling: retry n waits between half of and all of 0.5 * 2 ** (n - 1)
    for wait, (low, high) in zip(client.waits, [(0.25, 0.5), (0.5, 1.0), (1.0, 2.0)], strict=True):
        assert low <= wait <= high


@pytest.mark.parametrize("stub", [[error_reply(400, "bad request")]], indirect=True)
def test_other_4xx_fail_at_once(stub):
    client = client_for(stub)
    with pytest.raises(RequestFailed, match="HTTP 400 bad request") as error:
        client.post("completions", {"prompt": "x"})
    assert (error.value.status, error.value.attempts, len(stub.log)) == (400, 1, 1)
    assert client.stats == {"requests": 1, "failed": 1}


@pytest.mark.parametrize("stub", [[error_reply(502, "bad gateway")]], indirect=True)
def test_retries_stop_after_max_retries(stub):
    client = client_for(stub, max_retries=2)
    with pytest.raises(RequestFailed, match="failed after 3 attempts: HTTP 502 bad gateway") as error:
        client.get("models")
    assert (error.value.status, error.value.attempts, len(stub.log), len(client.waits)) == (502, 3, 3, 2)


def test_unknown_backend_options_are_refused_by_name():
    with pytest.raises(BackendError) as error:
        create_backend("openai", model="m", base_url="http://127.0.0.1:9/v1", dtype="float32")
    assert str(error.value) == (
        "the openai backend has no option 'dtype'; its options are: api_key, backoff_base, base_url, concurrency, "
        "label, max_retries, model, prices, revision, scoring_mode, timeout, variant"
    )


def test_the_transformers_backend_refuses_the_servers_options():
    with pytest.raises(
        BackendError,
        match="^the transformers backend has no option 'base_url', 'concurrency'; "
        "its options are: batch_size, device, dtype, gguf_file, label, model, "
        "revision, variant$",
    ):
        create_backend("transformers", model="m", base_url="http://127.0.0.1:9/v1", concurrency=2)


class _Stop(Exception):
    pass


def test_eval_gives_the_openai_backend_only_options_it_takes(monkeypatch, tmp_path):
    passed = {}

    def record(name, **options):
        passed.update(options, name=name)
        raise _Stop

    monkeypatch.setattr(run, "create_backend", record)
    config = run.EvalConfig(
        model="m",
        tasks=["mmlu_anatomy"],
        backend="openai",
        warehouse=str(tmp_path / "w.duckdb"),
        limit=1,
        dtype="bfloat16",
        backend_options={"base_url": "http://127.0.0.1:9/v1"},
    )
    with pytest.raises(_Stop):
        run.evaluate(config, progress=False)
    assert passed == {
        "name": "openai",
        "model": "m",
        "revision": None,
        "variant": "",
        "label": "",
        "base_url": "http://127.0.0.1:9/v1",
    }
