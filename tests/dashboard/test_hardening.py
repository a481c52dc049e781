"""Dashboard hardening: data and URL text never becomes a link or image (Streamlit markdown, plotly text),
the Questions search takes % and _ literally, and a busy warehouse shows a plain message (no traceback,
no lock holder's PID or interpreter) wherever the load that met the lock ran: status, sidebar or page.

The hostile warehouse built here puts link, image and HTML payloads in every data field a page writes
into markdown (source id, subject, topic, model name, version label) and search payloads in the texts."""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from dashboard import charts, data, widgets
from pipeline.benchmarks.registry import task_title
from tests.dashboard.test_app import run
from tests.fixtures.builder import Rows, Run, build_warehouse, pattern_answers, run_spec
from tests.helpers import make_app
from warehouse import queries
from warehouse.db import WarehouseBusy, read_connection
from warehouse.records import ModelInfo, Question, TaskInfo, version_id_for

LINK = "[x](http://evil.example)"
IMAGE = "![i](http://evil.example/i.png)"
HTML_LINK = '<a href="http://evil.example">v2</a>'
AUTOLINKS = (
    "http://evil.example",
    "HTTPS://evil.example",
    "www.evil.example",
    "<http://evil.example>",
    "mail me@evil.example",
)
PAYLOADS = (LINK, IMAGE, HTML_LINK, *AUTOLINKS, "**bold** _it_ `code`", ":red[x] $x^2$ #tag", "a\n# heading")

TASK = "medqa_4options"
MODEL = f"evil/{LINK}"
# One question per row: (id, text, source id, subject, topic). The last id reaches the download buttons' labels.
QUESTIONS = (
    (f"{TASK}/0", "Give 50% of the dose?", LINK, LINK, IMAGE),
    (f"{TASK}/1", "A 500 mg dose, then 5 0 more?", IMAGE, IMAGE, LINK),
    (f"{TASK}/2", "Is snake_case a disease?", HTML_LINK, HTML_LINK, None),
    (f"{TASK}/3", "Which nerve?", "3", None, None),
    (f"{TASK}/www.evil.example", "Which artery?", "www.evil.example", "mail me@evil.example", "http://evil.example"),
)
PAGES = [
    "app_pages/leaderboard.py",
    "app_pages/compare.py",
    "app_pages/history.py",
    "app_pages/questions.py",
    "app_pages/calibration.py",
    "app_pages/robustness.py",
    "app_pages/slices.py",
    "app_pages/runs.py",
    "app_pages/about.py",
]
# What duckdb says when another process holds the lock: the holder's interpreter path and PID.
LOCK_DETAILS = (
    'IO Error: Could not set lock on file "/srv/medlb.duckdb": Conflicting lock is held in '
    "/opt/secret-env/bin/python3.11 (PID 4242). "
    "See also https://duckdb.org/docs/current/connect/concurrency"
)

# A process that opens the file (as a writer, holding its lock) and keeps it open.
HOLD_LOCK = "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(120)"

_RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_EVIL_TAG = re.compile(r"<(?:a|img)\b[^>]*evil", re.IGNORECASE)


# GitHub-flavoured autolink literals as Streamlit's markdown finds them: in the text after escapes and
# entities are decoded (mdast-util-gfm-autolink-literal), so a backslash-escaped "http\://" still links.
_AUTOLINK = re.compile(r"https?://[-.\w]|www\.|[-.\w+]@[-\w]+\.[-\w]", re.IGNORECASE)


def decoded_text(markdown: str) -> str:
    """The text nodes of rendered `markdown`: tags dropped, escapes and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", _RENDER.render(markdown))).strip()


def evil_markup(markdown: str) -> list[str]:
    """Links or images that `markdown` would show: rendered <a>/<img> tags (CommonMark with raw HTML on,
    stricter than Streamlit) and the text that GitHub-flavoured autolinking would turn into a link."""
    return _EVIL_TAG.findall(_RENDER.render(markdown)) + _AUTOLINK.findall(decoded_text(markdown))


def shown_text(markdown: str) -> str:
    """What a reader sees: the decoded text without the invisible word joiners md() puts in."""
    return decoded_text(markdown).replace(widgets.WORD_JOINER, "")


def questions() -> list[Question]:
    return [
        Question(
            id=question_id,
            task=TASK,
            source_id=source_id,
            text=text,
            options=("a", "b", "c", "d"),
            golds=(i % 4,),
            subject=subject,
            topic=topic,
        )
        for i, (question_id, text, source_id, subject, topic) in enumerate(QUESTIONS)
    ]


def build_hostile_warehouse(path: Path) -> Path:
    """Two versions of MODEL, their labels payloads too, answering QUESTIONS by the patterns below."""
    models = [
        ModelInfo(name=MODEL, revision=revision, label=label, released_at=f"2024-0{revision[-1]}-01")
        for revision, label in (("r1", LINK), ("r2", HTML_LINK))
    ]
    runs = []
    for model, pattern in zip(models, ("11001", "01110")):
        spec = run_spec(f"run-{model.revision}", version_id_for(MODEL, model.revision), (TASK,))
        runs.append(Run(spec, pattern_answers(spec.run_id, questions(), pattern), seconds=1.0))
    rows = Rows(
        tasks=[(TaskInfo(task=TASK, benchmark="medqa", split="test", source="hostile"), 4)],
        questions=questions(),
        models=models,
        runs=runs,
    )
    return build_warehouse(path, rows)


@pytest.fixture(scope="module")
def hostile_path(tmp_path_factory) -> Path:
    return build_hostile_warehouse(tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


def markdown_texts(app) -> list[str]:
    """Every string of the rendered page that Streamlit treats as markdown."""
    texts = [
        e.value
        for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success")
        for e in getattr(app, kind)
    ]
    texts += [m.label for m in app.metric] + [e.label for e in app.expander] + [b.label for b in app.button]
    return texts + [b.proto.label for b in app.get("download_button")]


def plotly_strings(app) -> list[str]:
    def walk(node):
        if isinstance(node, dict):
            return [s for value in node.values() for s in walk(value)]
        if isinstance(node, list):
            return [s for value in node for s in walk(value)]
        return [node] if isinstance(node, str) else []

    return [s for chart in app.get("plotly_chart") for s in walk(json.loads(chart.proto.spec))]


# ------------------------------------------------------------------ the escaping functions


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_shows_the_payload_as_typed_and_never_a_link(payload):
    escaped = widgets.md(payload)
    assert evil_markup(escaped) == []
    assert shown_text(escaped) == " ".join(payload.split())  # line breaks become spaces, nothing else changes
    assert "<h1" not in _RENDER.render(escaped) and "<strong" not in _RENDER.render(escaped)


def test_the_checker_catches_unescaped_payloads():
    assert all(evil_markup(p) for p in (LINK, IMAGE, HTML_LINK, *AUTOLINKS))
    assert evil_markup(r"http\://evil\.example")  # escaping alone: Streamlit still autolinks it


def test_md_leaves_plain_prose_alone():
    assert widgets.md("C. gamma") == "C. gamma"


def test_charts_safe_escapes_plotly_html():
    assert charts.safe(HTML_LINK) == "&lt;a href=&quot;http://evil.example&quot;&gt;v2&lt;/a&gt;"
    assert "<" not in charts.safe(f"<img src=x>{IMAGE}")


# ------------------------------------------------------------------ pages on the hostile warehouse


@pytest.mark.parametrize("page", PAGES)
def test_no_page_turns_data_text_into_a_link_or_image(hostile_path, monkeypatch, page):
    app = run(make_app(hostile_path, monkeypatch), page)
    assert markdown_texts(app)
    assert [t for t in markdown_texts(app) if evil_markup(t)] == []
    assert [s for s in plotly_strings(app) if re.search(r"<(a|img)\b", s, re.IGNORECASE)] == []


@pytest.mark.parametrize("index", [0, 1, 2, 4])
def test_question_view_shows_the_hostile_fields_as_text(hostile_path, monkeypatch, index):
    question_id, _, source_id, subject, topic = QUESTIONS[index]
    app = run(make_app(hostile_path, monkeypatch), "app_pages/questions.py", question=question_id, task=TASK)
    texts = markdown_texts(app)
    assert [t for t in texts if evil_markup(t)] == []
    assert shown_text(app.subheader[0].value) == f"{task_title(TASK)} · {source_id}"  # MedQA: the readable name
    meta = " · ".join(m for m in (subject, topic) if m)
    assert meta in [shown_text(c.value) for c in app.caption]


@pytest.mark.parametrize("question_id", [LINK, IMAGE, HTML_LINK, "http://evil.example/q"])
def test_a_hostile_question_link_shows_as_text(hostile_path, monkeypatch, question_id):
    app = run(
        make_app(hostile_path, monkeypatch), "app_pages/questions.py", question=question_id, task=LINK, group=IMAGE
    )
    assert [t for t in markdown_texts(app) if evil_markup(t)] == []
    assert shown_text(app.warning[0].value) == f"No question {question_id!r} in this warehouse. Pick one from the list."


# ------------------------------------------------------------------ search


@pytest.mark.parametrize("needle", ["50%", "_", "%", "5_0", "NERVE"])
def test_search_matches_percent_and_underscore_literally(hostile_path, needle):
    expected = sorted(q.id for q in questions() if needle.lower() in q.text.lower())
    with read_connection(hostile_path) as con:
        found = queries.questions(con, "omll", search=needle)
    assert sorted(found["question_id"].to_list()) == expected
    assert found["n_matching"].to_list() == [len(expected)] * len(expected)


def test_search_box_on_the_page_takes_percent_literally(hostile_path, monkeypatch):
    app = run(make_app(hostile_path, monkeypatch), "app_pages/questions.py")
    app.text_input(key="q_search").set_value("50%").run()
    listing = app.dataframe[0].value
    assert listing["question_id"].tolist() == [f"{TASK}/0"]


# ------------------------------------------------------------------ busy warehouse


def assert_plain_busy_message(texts: list[str]) -> None:
    busy = [t for t in texts if data.BUSY_TITLE in t]
    assert busy, texts
    for text in texts:
        assert "PID" not in text and sys.executable not in text and "Conflicting lock" not in text, text
        assert "/opt/secret-env" not in text, text


def test_a_busy_sidebar_load_gives_the_busy_message_not_a_traceback(fixture_path, monkeypatch, caplog):
    def busy(version):
        raise WarehouseBusy(LOCK_DETAILS)

    monkeypatch.setattr(data, "task_groups", busy)
    with caplog.at_level(logging.WARNING, logger="dashboard.data"):
        app = run(make_app(fixture_path, monkeypatch))
    assert_plain_busy_message([w.value for w in app.warning])
    assert any("(PID 4242)" in record.getMessage() for record in caplog.records)  # the details are logged
    assert not app.dataframe


@pytest.fixture
def locked_copy(fixture_path, tmp_path, monkeypatch):
    """A copy of the fixture warehouse and a function that starts a process holding its lock."""
    path = tmp_path / "locked.duckdb"
    shutil.copy(fixture_path, path)
    monkeypatch.setattr(data, "READ_WAIT_SECONDS", 0.5)
    holders = []

    def hold() -> None:
        holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdout=subprocess.PIPE, text=True)
        holders.append(holder)
        assert holder.stdout.readline().strip() == "held"

    yield path, hold
    for holder in holders:
        holder.kill()
        holder.wait()


def test_a_held_lock_message_names_no_pid_or_interpreter(locked_copy, monkeypatch, caplog):
    path, hold = locked_copy
    hold()
    with caplog.at_level(logging.WARNING, logger="dashboard.data"):
        app = run(make_app(path, monkeypatch))
    assert_plain_busy_message([i.value for i in app.info])
    assert any(re.search(r"PID \d+", record.getMessage()) for record in caplog.records)


def test_a_lock_taken_while_browsing_gives_the_plain_message_on_the_page(locked_copy, monkeypatch):
    path, hold = locked_copy
    app = run(make_app(path, monkeypatch))  # status and sidebar loads are cached for this version
    hold()
    app.switch_page("app_pages/runs.py").run()  # its load meets the lock
    assert not app.exception, [e.message for e in app.exception]
    assert_plain_busy_message([w.value for w in app.warning] + [i.value for i in app.info])
    assert not app.dataframe
