"""JSON over HTTP for OpenAI-compatible servers: retries with backoff, and an API key that never leaks.

One HttpClient is shared by many threads: it holds one httpx.Client (thread-safe, its connection pool
sized to the backend's concurrency), every call gets its own tenacity Retrying, and the counters are
guarded by a lock.

What is retried, up to `max_retries` times after the first attempt:
  - timeouts and dropped connections,
  - 408 / 409 / 429 (honouring Retry-After / retry-after-ms) and every 5xx,
  - a 200 whose body is not JSON, or not the shape the caller expects (`validate` raises Malformed).
What is not: other 4xx. 401/403 raise AuthRejected at once (every request would fail the same way);
the rest raise RequestFailed, which the backend records as a failed question.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.wait import wait_exponential, wait_random_exponential

log = logging.getLogger(__name__)
Validator = Callable[[dict], None]

RETRY_STATUSES = frozenset({408, 409, 429})
RETRY_AFTER_CAP_S = 120.0  # a server asking for longer than this is treated as down, not throttling
ERROR_DETAIL_CHARS = 300  # of a server's error message, kept in logs and failed predictions
KEY_FRAGMENT_CHARS = 8  # a prefix of the key this long is scrubbed too: servers and cuts truncate keys


class Malformed(ValueError):
    """The server answered 200 with something that is not the JSON the caller expects."""


class RequestFailed(RuntimeError):
    """A request that could not be completed; the message is safe to store (no key, no headers)."""

    def __init__(self, message: str, status: int | None = None, attempts: int = 1):
        super().__init__(message)
        self.status = status
        self.attempts = attempts


class AuthRejected(RequestFailed):
    """401/403: the key is missing, wrong, or not allowed this model."""


@dataclass(frozen=True)
class Response:
    body: dict
    latency_ms: float  # the successful attempt only: what the server took, not our backoff
    attempts: int


def scrub(text: str, secret: str | None) -> str:
    """Remove a secret, and any prefix of it of KEY_FRAGMENT_CHARS or more, from text that may be logged,
    raised or stored (servers echo keys in errors, some of them cut short)."""
    if secret and text:
        return _key_pattern(secret).sub("***", text)
    return text


@lru_cache(maxsize=8)
def _key_pattern(secret: str) -> re.Pattern[str]:
    shortest = min(len(secret), KEY_FRAGMENT_CHARS)
    prefixes = (re.escape(secret[:length]) for length in range(len(secret), shortest - 1, -1))
    return re.compile("|".join(prefixes))  # longest first: the whole key is replaced, not its head


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds a 429/503 asks us to wait: retry-after-ms, Retry-After seconds, or an HTTP date."""
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class HttpClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float = 60.0,
        max_retries: int = 6,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        max_connections: int = 8,
    ):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.sleep = sleep  # tests swap this to record the waits instead of sleeping them
        # equal jitter: half the exponential step for sure, the other half at random
        self._backoff = wait_exponential(multiplier=backoff_base / 2, max=backoff_cap / 2) + wait_random_exponential(
            multiplier=backoff_base / 2, max=backoff_cap / 2
        )
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()  # requests, retries, retry:<reason>, failed
        self.waits: list[float] = []
        headers = {"Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        pool = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.Client(headers=headers, timeout=timeout, limits=pool, follow_redirects=True)

    def __repr__(self) -> str:  # the key is deliberately absent
        return f"HttpClient(base_url={self.base_url!r}, timeout={self.timeout}, max_retries={self.max_retries})"

    # ------------------------------------------------------------------ public

    def get(self, path: str, validate: Validator | None = None, max_retries: int | None = None) -> Response:
        return self._call("GET", path, None, validate, max_retries)

    def post(
        self, path: str, payload: dict, validate: Validator | None = None, max_retries: int | None = None
    ) -> Response:
        """`validate(body)` raises Malformed for a body of the wrong shape: retried like bad JSON."""
        return self._call("POST", path, payload, validate, max_retries)

    def safe(self, text: str) -> str:
        return scrub(text, self._api_key)

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ internals

    def _call(self, method: str, path: str, payload: dict | None, validate, max_retries: int | None) -> Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        retries = self.max_retries if max_retries is None else max_retries
        retrying = Retrying(
            stop=stop_after_attempt(retries + 1),
            wait=self._wait,
            retry=retry_if_exception_type(_Retryable),
            before=lambda _: self._count("requests"),
            before_sleep=lambda state: self._note_retry(method, url, retries, state),
            sleep=lambda seconds: self.sleep(seconds),  # looked up at each wait: tests replace self.sleep
            reraise=True,  # out of retries: the last _Retryable itself, not tenacity's RetryError
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    body, latency_ms = self._attempt(method, url, payload, validate)
        except _Retryable as exc:
            self._count("failed")
            raise RequestFailed(
                self.safe(f"{method} {url} failed after {attempts} attempts: {exc.reason}"),
                status=exc.status,
                attempts=attempts,
            ) from None
        except RequestFailed as exc:
            exc.attempts = attempts
            self._count("failed")
            raise
        return Response(body, latency_ms, attempts)

    def _attempt(self, method: str, url: str, payload: dict | None, validate) -> tuple[dict, float]:
        started = time.perf_counter()
        body = self._once(method, url, payload)
        if validate is not None:
            try:
                validate(body)
            except (Malformed, KeyError, IndexError, TypeError) as exc:
                raise _Retryable("malformed", f"unexpected answer: {type(exc).__name__} {exc}") from None
        return body, (time.perf_counter() - started) * 1000.0

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with equal jitter, unless the server said how long to wait."""
        asked = state.outcome.exception().retry_after
        if asked is not None:  # what the server asked, plus up to 10% so clients do not return in step
            return min(asked, RETRY_AFTER_CAP_S) * (1.0 + random.uniform(0, 0.1))
        return self._backoff(state)

    def _note_retry(self, method: str, url: str, retries: int, state: RetryCallState) -> None:
        exc = state.outcome.exception()
        self._count("retries")
        self._count(f"retry:{exc.kind}")
        log.warning(
            "%s %s: %s; retry %d/%d in %.2fs",
            method,
            url,
            self.safe(exc.reason),
            state.attempt_number,
            retries,
            state.upcoming_sleep,
        )
        with self._lock:
            self.waits.append(state.upcoming_sleep)

    def _once(self, method: str, url: str, payload: dict | None) -> dict:
        try:
            reply = self._http.request(method, url, json=payload)
        except httpx.TimeoutException as exc:
            raise _Retryable("timeout", f"no answer within {self.timeout}s") from exc
        except httpx.ConnectError as exc:
            raise _Retryable("connection", f"cannot connect: {exc}") from exc
        except httpx.TransportError as exc:
            raise _Retryable("connection", f"connection dropped: {type(exc).__name__}") from exc
        if reply.is_error:
            self._raise_for_status(method, url, reply)
        try:
            body = json.loads(reply.content)
        except (UnicodeDecodeError, json.JSONDecodeError):
            text = self.safe(reply.content.decode("utf-8", "replace"))
            raise _Retryable("malformed", f"answer is not JSON: {text[:80]!r}") from None
        if not isinstance(body, dict):
            raise _Retryable("malformed", "answer is JSON but not an object")
        return body

    def _raise_for_status(self, method: str, url: str, reply: httpx.Response):
        status = reply.status_code
        detail = self.safe(_error_message(reply))[:ERROR_DETAIL_CHARS]  # scrubbed before the cut can split the key
        if status in RETRY_STATUSES or status >= 500:
            raise _Retryable(f"http{status}", f"HTTP {status} {detail}", status, retry_after_seconds(reply.headers))
        message = self.safe(f"{method} {url}: HTTP {status} {detail}")
        if status in (401, 403):
            raise AuthRejected(message, status)
        raise RequestFailed(message, status)

    def _count(self, key: str) -> None:
        with self._lock:
            self.stats[key] += 1


class _Retryable(Exception):
    def __init__(self, kind: str, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(reason)
        self.kind = kind  # timeout | connection | malformed | http429 | http500 ...
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


def _error_message(reply: httpx.Response) -> str:
    """The server's error message: OpenAI-style {"error": {"message": ...}} or the raw text."""
    try:
        body = json.loads(reply.content)
    except ValueError:
        return reply.content.decode("utf-8", "replace")
    error = body.get("error", body) if isinstance(body, dict) else body
    message = error.get("message", error) if isinstance(error, dict) else error
    return str(message)
