"""The Submit page through AppTest: a request queued, its duplicate refused with a link, a malformed one refused
by field with nothing stored, and the queue's four states with a failed request's reason, all shown as text."""

from __future__ import annotations

import pytest

from tests.dashboard.test_app import run
from tests.helpers import make_app
from warehouse import queue

COMMIT = "0123456789abcdef0123456789abcdef01234567"
NOTES = "[click](http://evil.example) **bold** <b>x</b>"


@pytest.fixture
def app(fixture_path, monkeypatch, tmp_path):
    monkeypatch.setenv(queue.ENV_VAR, str(tmp_path / "q.sqlite"))
    return make_app(fixture_path, monkeypatch)


def fill(app, model, revision=COMMIT, notes=""):
    app.text_input(key="submit_model").input(model)
    app.text_input(key="submit_revision").input(revision)
    app.multiselect(key="submit_tasks").set_value(["pubmedqa"])
    app.text_area(key="submit_notes").input(notes)
    app.get("form_submit_button")[0].click().run()
    assert not app.exception, [e.message for e in app.exception]


def test_a_request_is_queued_once_and_its_duplicate_links_to_it(app, tmp_path):
    run(app, "app_pages/submit.py")
    fill(app, "org/model-7b", notes=NOTES)
    assert [s.value for s in app.success] == ["Queued as [request 1](?request=1)."]
    stored = queue.list_requests(tmp_path / "q.sqlite")
    assert stored.select("model_id", "revision", "tasks", "notes", "status").rows() == [
        ("org/model-7b", COMMIT, "pubmedqa", NOTES, "pending")
    ]
    shown = app.dataframe[0].value
    assert shown["notes"].tolist() == [NOTES]  # a table cell: text, never markdown
    fill(app, "org/model-7b")
    assert "already pending as [request 1](?request=1)" in app.warning[0].value
    assert queue.list_requests(tmp_path / "q.sqlite").height == 1


def test_a_malformed_request_names_its_field_and_stores_nothing(app, tmp_path):
    run(app, "app_pages/submit.py")
    fill(app, "not a hub id")
    # the message is escaped markdown (widgets.md): the user's text shows as typed
    assert app.error[0].value.startswith("Not queued. model id\\: 'not a hub id' is not a hub id")
    fill(app, "org/model-7b", revision="main")  # the hub is unreachable in the tests
    assert (
        app.error[0].value.startswith("Not queued. revision\\: ") and "40\\-character commit sha" in app.error[0].value
    )
    assert queue.list_requests(tmp_path / "q.sqlite").is_empty()


def test_the_queue_shows_each_state_and_a_failures_reason_as_text(app, tmp_path):
    store = tmp_path / "q.sqlite"
    for n in range(4):
        queue.submit(queue.NewRequest(f"org/m{n}", COMMIT, "float32", "pretrained", ("pubmedqa",), NOTES), store)
    done, failed, running = (queue.claim_next(f"w{n}", store) for n in range(3))
    queue.finish(done, "done", run_id="run-abc", path=store)
    queue.finish(failed, "failed", error="no model **org/m1** <script>", path=store)
    queue.record_progress(running, 120, 450, store)
    run(app, "app_pages/submit.py", request=str(failed.request_id))
    assert {m.label: m.value for m in app.metric} == {"pending": "1", "running": "1", "done": "1", "failed": "1"}
    table = app.dataframe[0].value
    assert table.set_index("request").loc[done.request_id, "run id"] == "run-abc"
    assert table.set_index("request").loc[failed.request_id, "reason"] == "no model **org/m1** <script>"
    texts = [t.value for t in app.text]
    assert "failed: no model **org/m1** <script>" in texts and f"notes: {NOTES}" in texts
    assert table.set_index("request").loc[running.request_id, "status"] == "running — 120/450 questions"
    run(app, "app_pages/submit.py", request=str(running.request_id))
    assert f"**Request {running.request_id}: running — 120/450 questions**" in [m.value for m in app.markdown]


def test_requests_can_be_queued_before_the_warehouse_has_any_result(monkeypatch, tmp_path):
    monkeypatch.setenv(queue.ENV_VAR, str(tmp_path / "q.sqlite"))
    app = make_app(tmp_path / "missing.duckdb", monkeypatch)
    run(app, "app_pages/submit.py")
    fill(app, "org/model-7b")
    assert [s.value for s in app.success] == ["Queued as [request 1](?request=1)."]
    assert not (tmp_path / "missing.duckdb").exists()  # the dashboard never creates the warehouse
