"""Submission checks: malformed requests refused by field with nothing stored; a branch resolved to its commit
by the real huggingface_hub client against a local stand-in of the hub's model API (never the network)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline import cli
from pipeline.submissions import InvalidRequest, resolve_revision, validate
from warehouse import queue

COMMIT = "a" * 40
BRANCHES = {("org/model-7b", "main"): "c0ffee" + "0" * 34, ("org/model-7b", "v1.0"): "beef" + "1" * 36}


class HubStandIn(BaseHTTPRequestHandler):
    """GET /api/models/{owner}/{name}/revision/{rev}, answered as the hub does (sha, or 404 + X-Error-Code)."""

    def do_GET(self):  # noqa: N802 (http.server's name)
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] == "revision":
            repo, revision = "/".join(parts[2:4]), parts[5]
            if not any(r == repo for r, _ in BRANCHES):
                return self.reply(404, {"error": "Repository not found"}, "RepoNotFound")
            if (repo, revision) not in BRANCHES:
                return self.reply(404, {"error": f"Invalid rev id: {revision}"}, "RevisionNotFound")
            return self.reply(200, {"id": repo, "modelId": repo, "sha": BRANCHES[repo, revision], "private": False})
        self.reply(404, {"error": "not found"}, "EntryNotFound")

    def reply(self, code, body, error_code=None):
        payload = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if error_code:
            self.send_header("X-Error-Code", error_code)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def hub(monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)  # the suite is offline; this hub is local
    server = ThreadingHTTPServer(("127.0.0.1", 0), HubStandIn)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_branch_or_tag_is_pinned_to_the_commit_the_hub_names(hub):
    assert resolve_revision("org/model-7b", "main", hub) == BRANCHES["org/model-7b", "main"]
    assert resolve_revision("org/model-7b", "v1.0", hub) == BRANCHES["org/model-7b", "v1.0"]
    assert resolve_revision("org/model-7b", COMMIT, hub) == COMMIT  # already pinned: the hub is not asked
    request = validate("org/model-7b", "", "bfloat16", "fine-tuned", "pubmedqa,omll", endpoint=hub)
    assert request.revision == BRANCHES["org/model-7b", "main"]
    assert request.tasks[0] == "pubmedqa" and len(request.tasks) == 9


def test_unknown_branches_and_models_are_named(hub):
    with pytest.raises(InvalidRequest, match="no branch or tag 'nope'") as caught:
        resolve_revision("org/model-7b", "nope", hub)
    assert caught.value.field == "revision"
    with pytest.raises(InvalidRequest, match="no model 'org/other'") as caught:
        resolve_revision("org/other", "main", hub)
    assert caught.value.field == "model id"


def test_an_unreachable_hub_asks_for_the_commit():
    with pytest.raises(InvalidRequest, match="give the full 40-character commit sha"):
        resolve_revision("org/model-7b", "main")  # HF_HUB_OFFLINE=1 in the suite


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        (["--model", "just-a-name"], "model id", "owner/name"),
        (["--model", "org/bad name!"], "model id", "not a valid hub id"),
        (["--model", "org/m", "--tasks", "medqa_4options,astrology"], "tasks", "unknown task or group 'astrology'"),
        (["--model", "org/m", "--tasks", "pubmedqa,kqa"], "tasks", "kqa is open-ended and needs a judge"),
        (["--model", "org/m", "--revision", "main"], "revision", "40-character commit"),
    ],
)
def test_a_malformed_request_is_refused_with_its_field_and_nothing_is_stored(tmp_path, capsys, args, field, words):
    store = tmp_path / "q.sqlite"
    code = cli.main(["submit", *args, "--queue", str(store), *([] if "--tasks" in args else ["--tasks", "pubmedqa"])])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(f"error: {field}: ") and words in err
    assert not store.exists() or queue.list_requests(store).is_empty()


def test_submit_queues_once_and_refuses_the_duplicate(tmp_path, capsys):
    store = tmp_path / "q.sqlite"
    args = ["submit", "--model", "org/m", "--revision", COMMIT, "--tasks", "pubmedqa", "--queue", str(store)]
    assert cli.main(args) == 0
    assert cli.main([*args, "--notes", "twice"]) == 1
    out = capsys.readouterr().out
    assert "request 1 queued" in out and "refused: request 1" in out and "is pending" in out
    assert queue.list_requests(store).height == 1
