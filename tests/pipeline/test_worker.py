"""`medlb worker` on the real SmolLM2-135M-Instruct, served as a hub id from a hub-cache stand-in (the hub is
unreachable; an offline run of a hub id reads the local cache, as it would on a machine that downloaded it)."""

from __future__ import annotations

import pytest

from pipeline import cli, models
from tests.helpers import query
from warehouse import queue

pytestmark = pytest.mark.slow
REPO = "HuggingFaceTB/SmolLM2-135M-Instruct"
COMMIT = "5a33ba103645800d7b3790c4448546c1b73efc71"


@pytest.fixture
def hub_cache(tmp_path, monkeypatch):
    """A Hugging Face hub cache holding REPO at COMMIT: the converted SmolLM2 weights, linked into a snapshot."""
    folder = models.converted_folder(*_packaged_gguf())
    snapshot = tmp_path / "hub" / f"models--{REPO.replace('/', '--')}" / "snapshots" / COMMIT
    snapshot.mkdir(parents=True)
    for file in folder.iterdir():
        (snapshot / file.name).symlink_to(file)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    return tmp_path / "hub"


def _packaged_gguf():
    packaged = models.PACKAGED["smollm2-135m-instruct"]
    return models.packaged_gguf(packaged), packaged.sha256


def test_the_worker_evaluates_the_oldest_request_and_records_the_outcome(hub_cache, tmp_path, capsys):
    store, warehouse = str(tmp_path / "q.sqlite"), str(tmp_path / "w.duckdb")
    submit = ["submit", "--revision", COMMIT, "--tasks", "pubmedqa,medqa_4options", "--queue", store]
    assert cli.main([*submit, "--model", REPO]) == 0
    assert cli.main([*submit, "--model", "org/not-downloaded"]) == 0
    work = ["worker", "--once", "--limit", "2", "--no-progress", "--queue", store, "--warehouse", warehouse]
    assert cli.main(work) == 0 and cli.main(work) == 0
    assert cli.main(work) == 0  # nothing left
    out = capsys.readouterr().out
    assert "no pending request" in out
    requests = {row["request_id"]: row for row in queue.list_requests(store).iter_rows(named=True)}
    done, failed = requests[1], requests[2]
    assert done["status"] == "done" and done["error"] is None
    assert (done["progress_done"], done["progress_total"]) == (4, 4)  # 2 tasks x --limit 2, the last batch
    assert query(warehouse, "SELECT count(*) FROM predictions WHERE run_id = ?", [done["run_id"]]) == [(4,)]
    [(model_id, revision)] = query(
        warehouse,
        "SELECT v.model_id, v.revision FROM runs r JOIN model_versions v USING (version_id) WHERE r.run_id = ?",
        [done["run_id"]],
    )
    assert (model_id, revision) == (REPO, COMMIT)  # the pinned commit is what was evaluated
    assert failed["status"] == "failed" and failed["run_id"] is None
    assert "cannot resolve hub model 'org/not-downloaded'" in failed["error"]


def test_progress_reaches_the_store_at_most_every_few_seconds_and_at_the_end(tmp_path):
    from pipeline.worker import Progress

    store = tmp_path / "q.sqlite"
    queue.submit(queue.NewRequest(REPO, COMMIT, "float32", "instruction-tuned", ("pubmedqa",)), store)
    claim = queue.claim_next("w1", store)
    progress = Progress(claim, store, seconds=60.0)

    def shown():
        return queue.list_requests(store).select("progress_done", "progress_total").row(0)

    progress(0, 450)
    progress(120, 450)  # within the 60 s: not written
    assert shown() == (0, 450)
    progress.last_write -= 61.0
    progress(120, 450)
    assert shown() == (120, 450)
    progress(450, 450)  # the last batch is always written
    assert shown() == (450, 450)
