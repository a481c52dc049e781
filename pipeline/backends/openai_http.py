"""JSON over HTTP for OpenAI-compatible servers: retries with backoff, and an API key that never leaks.

Stdlib only (urllib), so the dashboard-sized install can still talk to a server. One HttpClient is
shared by many threads: every call is independent, and the counters are guarded by a lock.

What is retried, up to `max_retries` times after the first attempt:
  - timeouts and dropped connections,
  - 408 / 409 / 429 (honouring Retry-After / retry-after-ms) and every 5xx,
  - a 200 whose body is not JSON, or not the shape the caller expects (`validate` raises Malformed).
What is not: other 4xx. 401/403 raise AuthRejected at once (every request would fail the same way);
the rest raise RequestFailed, which the backend records as a failed question.
"""
from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable

log = logging.getLogger(__name__)
Validator = Callable[[dict], None]

RETRY_STATUSES = frozenset({408, 409, 429})
RETRY_AFTER_CAP_S = 120.0  # a server asking for longer than this is treated as down, not throttling


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
    """Remove a secret from text that may be logged, raised or stored (servers echo keys in errors)."""
    if secret and text:
        return text.replace(secret, "***")
    return text


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
    ):
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep  # tests swap this to record the waits instead of sleeping them
        self._lock = threading.Lock()
        self.stats: Counter[str] = Counter()  # requests, retries, retry:<reason>, failed, waited_s
        self.waits: list[float] = []

    def __repr__(self) -> str:  # the key is deliberately absent
        return f"HttpClient(base_url={self.base_url!r}, timeout={self.timeout}, max_retries={self.max_retries})"

    # ------------------------------------------------------------------ public

    def get(self, path: str, validate: Validator | None = None, max_retries: int | None = None) -> Response:
        return self._call("GET", path, None, validate, max_retries)

    def post(self, path: str, payload: dict, validate: Validator | None = None,
             max_retries: int | None = None) -> Response:
        """`validate(body)` raises Malformed for a body of the wrong shape: retried like bad JSON."""
        return self._call("POST", path, payload, validate, max_retries)

    def safe(self, text: str) -> str:
        return scrub(text, self._api_key)

    # ------------------------------------------------------------------ internals

    def _call(self, method: str, path: str, payload: dict | None, validate, max_retries: int | None) -> Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        retries = self.max_retries if max_retries is None else max_retries
        attempt = 0
        while True:
            attempt += 1
            self._count("requests")
            started = time.perf_counter()
            try:
                body = self._once(method, url, payload)
                if validate is not None:
                    try:
                        validate(body)
                    except (Malformed, KeyError, IndexError, TypeError) as exc:
                        raise _Retryable("malformed", f"unexpected answer: {type(exc).__name__} {exc}") from None
                return Response(body, (time.perf_counter() - started) * 1000.0, attempt)
            except _Retryable as exc:
                if attempt > retries:
                    self._count("failed")
                    raise RequestFailed(
                        self.safe(f"{method} {url} failed after {attempt} attempts: {exc.reason}"),
                        status=exc.status, attempts=attempt,
                    ) from None
                delay = self._delay(attempt, exc.retry_after)
                self._count("retries")
                self._count(f"retry:{exc.kind}")
                log.warning("%s %s: %s; retry %d/%d in %.2fs", method, url, self.safe(exc.reason), attempt,
                            retries, delay)
                with self._lock:
                    self.waits.append(delay)
                self.sleep(delay)
            except RequestFailed as exc:
                exc.attempts = attempt
                self._count("failed")
                raise

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with equal jitter; a server's Retry-After wins when it asks for longer."""
        backoff = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        jittered = backoff / 2 + random.uniform(0, backoff / 2)
        if retry_after is not None:  # what the server asked, plus up to 10% so clients do not return in step
            return min(retry_after, RETRY_AFTER_CAP_S) * (1.0 + random.uniform(0, 0.1))
        return jittered

    def _once(self, method: str, url: str, payload: dict | None) -> dict:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self._api_key:
            request.add_header("Authorization", f"Bearer {self._api_key}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as exc:
            self._raise_for_status(method, url, exc)
        except (TimeoutError, socket.timeout) as exc:
            raise _Retryable("timeout", f"no answer within {self.timeout}s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise _Retryable("timeout", f"no answer within {self.timeout}s") from exc
            raise _Retryable("connection", f"cannot connect: {exc.reason}") from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Retryable("connection", f"connection dropped: {type(exc).__name__}") from exc
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise _Retryable("malformed", f"answer is not JSON: {raw[:80]!r}") from None
        if not isinstance(body, dict):
            raise _Retryable("malformed", "answer is JSON but not an object")
        return body

    def _raise_for_status(self, method: str, url: str, exc: urllib.error.HTTPError):
        status = exc.code
        detail = _error_detail(exc)
        if status in RETRY_STATUSES or status >= 500:
            raise _Retryable(f"http{status}", f"HTTP {status} {detail}", status, retry_after_seconds(exc.headers)) from None
        message = self.safe(f"{method} {url}: HTTP {status} {detail}")
        if status in (401, 403):
            raise AuthRejected(message, status) from None
        raise RequestFailed(message, status) from None

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


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """The server's error message, short: OpenAI-style {"error": {"message": ...}} or the raw text."""
    try:
        raw = exc.read()
    except Exception:  # a body that cannot be read says nothing more than the status
        return ""
    try:
        body = json.loads(raw)
        error = body.get("error", body) if isinstance(body, dict) else body
        message = error.get("message", error) if isinstance(error, dict) else error
        return str(message)[:300]
    except (ValueError, AttributeError):
        return raw[:300].decode("utf-8", "replace")
