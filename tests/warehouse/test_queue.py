"""The request store: duplicates refused, claims atomic across real processes, a lost worker's lease reclaimed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.helpers import ROOT
from warehouse import queue

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def request(n: int = 0, **kw) -> queue.NewRequest:
    fields = {"model_id": f"org/model-{n}", "revision": COMMIT, "precision": "float32", "model_type": "pretrained"}
    return queue.NewRequest(tasks=("pubmedqa",), **{**fields, **kw})


def test_a_pending_or_done_request_is_not_stored_twice(tmp_path):
    path = tmp_path / "q.sqlite"
    first, existing = queue.submit(request(), path)
    assert existing is None
    assert queue.submit(request(notes="again"), path) == (first, "pending")
    claim = queue.claim_next("w1", path)
    assert queue.finish(claim, "done", run_id="r1", path=path)
    assert queue.submit(request(), path) == (first, "done")
    other, existing = queue.submit(request(precision="bfloat16"), path)  # a different request
    assert existing is None and other != first
    assert queue.list_requests(path)["request_id"].to_list() == [other, first]


def test_a_failed_request_can_be_submitted_again(tmp_path):
    path = tmp_path / "q.sqlite"
    first, _ = queue.submit(request(), path)
    queue.finish(queue.claim_next("w1", path), "failed", error="no such model", path=path)
    again, existing = queue.submit(request(), path)
    assert existing is None and again != first
    frame = queue.list_requests(path)
    assert frame.filter(frame["request_id"] == first)["error"].to_list() == ["no such model"]


CLAIM_ALL = """
import sys, time
from warehouse import queue
path, name = sys.argv[1], sys.argv[2]
while time.time() < float(sys.argv[3]):  # start together
    time.sleep(0.001)
while (claim := queue.claim_next(name, path)) is not None:
    print(claim.request_id, flush=True)
"""


def test_two_workers_started_at_once_claim_distinct_requests(tmp_path):
    path = tmp_path / "q.sqlite"
    ids = {queue.submit(request(n), path)[0] for n in range(12)}
    start = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIM_ALL, str(path), f"w{i}", start], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    claimed = [[int(line) for line in proc.communicate(timeout=60)[0].split()] for proc in procs]
    assert all(proc.returncode == 0 for proc in procs)
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)  # every request once, none twice
    assert set(queue.list_requests(path)["status"].to_list()) == {"running"}


CLAIM_AND_HANG = """
import sys, time
from warehouse import queue
claim = queue.claim_next("doomed", sys.argv[1])
print(claim.request_id, flush=True)
time.sleep(600)
"""


def test_a_killed_workers_request_is_reclaimed_after_the_lease(tmp_path):
    path = tmp_path / "q.sqlite"
    request_id, _ = queue.submit(request(), path)
    proc = subprocess.Popen(
        [sys.executable, "-c", CLAIM_AND_HANG, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert int(proc.stdout.readline()) == request_id
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert queue.claim_next("next", path, lease=30.0) is None  # the lease still runs
    time.sleep(1.2)
    claim = queue.claim_next("next", path, lease=1.0)
    assert (claim.request_id, claim.attempts, claim.worker) == (request_id, 2, "next")
    doomed = queue.Claim(request_id, *[None] * 6, attempts=1, worker="doomed")
    assert not queue.finish(doomed, "done", run_id="late", path=path)  # the old holder cannot finish it
    assert queue.finish(claim, "done", run_id="r", path=path)


def test_a_running_requests_progress_is_recorded_by_its_holder_only(tmp_path):
    path = tmp_path / "q.sqlite"
    queue.submit(request(), path)
    claim = queue.claim_next("w1", path)
    assert queue.record_progress(claim, 120, 450, path)
    frame = queue.list_requests(path)
    assert frame.select("progress_done", "progress_total").rows() == [(120, 450)]
    other = queue.Claim(claim.request_id, *[None] * 6, attempts=1, worker="w2")
    assert not queue.record_progress(other, 450, 450, path)  # not its claim
    queue.finish(claim, "done", run_id="r", path=path)
    assert not queue.record_progress(claim, 450, 450, path)  # no longer running
    assert queue.list_requests(path).select("progress_done", "progress_total").rows() == [(120, 450)]


def test_a_store_made_before_progress_existed_gains_its_columns(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    old = sqlite3.connect(path)
    old.execute((ROOT / "warehouse" / "sql" / "queue" / "create_requests.sql").read_text())  # the first release's
    old.execute(
        "INSERT INTO requests (model_id, revision, precision, model_type, tasks, submitted_at) "
        "VALUES ('org/old', ?, 'float32', 'pretrained', 'pubmedqa', 1.0)",
        [COMMIT],
    )
    old.commit()
    old.close()
    frame = queue.list_requests(path)
    assert frame.select("model_id", "progress_done", "progress_total").rows() == [("org/old", None, None)]
    claim = queue.claim_next("w1", path)
    assert queue.record_progress(claim, 1, 3, path)
