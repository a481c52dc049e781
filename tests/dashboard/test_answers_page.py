"""The Answers (K-QA) page through AppTest: scores recomputed by hand from hand-written verdicts, the judge and
its agreement beside them, filters, the question view as text, CSV export."""

from __future__ import annotations

import shutil

import pytest

from pipeline.benchmarks import kqa
from pipeline.generation import statement_rows
from tests.dashboard.test_app import frame, run
from tests.helpers import make_app
from warehouse import judged, writer
from warehouse.db import execute_write
from warehouse.records import ModelInfo, RunSpec

QUESTIONS = ("kqa/107", "kqa/150")  # one Must_have; one Must_have and one Nice_to_have
ANSWER = "**Bold** claim [click](http://evil.example) <b>x</b>"
RUN, RUN2, JUDGE = "run-open-1", "run-open-2", "judge-1"


def verdict_rows(items) -> list[dict]:
    """kqa/107: its Must_have not entailed, nothing contradicted -> comp 0, 0 hallucinations.
    kqa/150: its Must_have entailed; its Nice_to_have not entailed but contradicted -> comp 1, 1 hallucination."""
    wanted = {
        "kqa/107/Must_have/0": ("false", "false"),
        "kqa/150/Must_have/0": ("true", "false"),
        "kqa/150/Nice_to_have/0": ("false", "true"),
    }
    rows = []
    for item in items:
        for c in item.criteria:
            for relation, verdict in zip(("entails", "contradicts"), wanted[c.id]):
                rows.append({
                    "judge_id": JUDGE, "run_id": RUN, "question_id": item.id, "statement_id": c.id,
                    "relation": relation, "verdict": verdict, "probability": 0.9 if verdict == "true" else 0.1,
                    "rationale": None, "prompt_hash": "p", "latency_ms": 1.0,
                })  # fmt: skip
    return rows


@pytest.fixture
def answers_path(fixture_path, tmp_path):
    path = tmp_path / "answers.duckdb"
    shutil.copy(fixture_path, path)
    items = [i for i in kqa.load_open() if i.id in QUESTIONS]
    assert sorted(len(i.criteria) for i in items) == [1, 2]

    def write(con):
        version_id = writer.register_model_version(con, ModelInfo(name="acme/open-1", revision="r1", label="v1"))
        spec = RunSpec(RUN, version_id, "transformers", "generation", "evaluated", 0, "float32", "cpu", "g/v1", "h",
                       {}, {}, ("kqa",))  # fmt: skip
        writer.start_run(con, spec)
        writer.register_questions(con, [i.question for i in items])
        judged.register_statements(con, statement_rows(items))
        judged.write_generations(con, RUN, [
            {"run_id": RUN, "question_id": i.id, "task": "kqa", "messages": "[]", "prompt": None, "prompt_hash": "m",
             "sampling": "{}", "output": ANSWER, "status": "ok", "finish_reason": "stop", "input_tokens": 3,
             "output_tokens": 5, "latency_ms": 1.0, "cost_usd": None}
            for i in items
        ])  # fmt: skip
        judged.register_judge(con, {"judge_id": JUDGE, "version_id": version_id, "model_id": "acme/judge",
                                    "revision": "r", "mode": "loglikelihood", "prompt_hash": "p", "settings": {}})  # fmt: skip
        judged.write_judgments(con, JUDGE, RUN, verdict_rows(items))
        other = writer.register_model_version(con, ModelInfo(name="acme/open-2", revision="r2", label="v2"))
        writer.start_run(con, RunSpec(RUN2, other, "transformers", "generation", "evaluated", 0, "float32", "cpu",
                                      "g/v1", "h", {}, {}, ("kqa",)))  # fmt: skip
        rows = [{**r, "run_id": RUN2, "verdict": "true" if r["relation"] == "entails" else "false"}
                for r in verdict_rows(items)]  # fmt: skip
        judged.write_judgments(con, JUDGE, RUN2, rows)  # comp 1 on both questions, no hallucination
        for relation, kappa in (("entails", 0.2), ("contradicts", 0.6)):
            judged.write_judge_check(con, {"judge_id": JUDGE, "relation": relation, "n_pairs": 399, "n_unparsed": 0,
                                           "accuracy": 0.7, "accuracy_low": 0.65, "accuracy_high": 0.74,
                                           "kappa": kappa, "macro_f1": kappa + 0.1, "ceiling_kappa": 0.8,
                                           "confusion": {"true/true": 30, "true/false": 10, "false/unparsed": 2,
                                                         "false/false": 357}})  # fmt: skip

    execute_write(write, path)
    return path


def test_leaderboard_scores_judge_and_agreement(answers_path, monkeypatch):
    app = run(make_app(answers_path, monkeypatch), "app_pages/answers.py")
    board = frame(app, "kqa-leaderboard")
    assert board["model"].tolist() == ["acme/open-1", "acme/open-2"] and board["questions"].tolist() == [2, 2]
    assert board["comprehensiveness"].tolist() == [pytest.approx((0 + 1) / 2), 1.0]
    assert board["hallucinations"].tolist() == [pytest.approx((0 + 1) / 2), 0.0]
    assert board["judge"].tolist() == ["acme/judge (loglikelihood)"] * 2
    assert board["judge agreement (entails)"].tolist() == ["unvalidated (kappa 0.20 < 0.4)"] * 2
    assert board["judge agreement (contradicts)"].tolist() == ["kappa 0.60 on 399 pairs"] * 2
    # open-1 minus open-2, per question: comprehensiveness (0 - 1, 1 - 1), hallucinations (0 - 0, 1 - 0)
    paired = frame(app, "kqa-paired")
    assert paired["mean difference (a - b)"].tolist() == [pytest.approx(-0.5), pytest.approx(0.5)]
    assert paired["shared questions"].tolist() == [2, 2]
    checks = frame(app, "kqa-judge-checks")
    assert checks["relation"].tolist() == ["contradicts", "entails"]
    assert checks["macro_f1"].tolist() == [pytest.approx(0.7), pytest.approx(0.3)]
    assert checks.iloc[0][["physicians yes / judge yes", "physicians yes / judge no", "physicians no / judge unparsed",
                           "physicians no / judge no", "physicians yes / judge unparsed"]].tolist() == [30, 10, 2, 357, 0]  # fmt: skip
    per_question = frame(app, f"kqa-questions-{RUN}")
    assert dict(zip(per_question["question_id"], per_question["comprehensiveness"])) == {"kqa/107": 0.0, "kqa/150": 1.0}


def test_question_view_shows_model_text_as_text_and_filters(answers_path, monkeypatch):
    app = run(make_app(answers_path, monkeypatch), "app_pages/answers.py", question="kqa/150")
    assert ANSWER in [t.value for t in app.text]  # st.text: the markdown and HTML stay as typed
    assert not any("evil.example" in m.value for m in app.markdown)
    verdicts = frame(app, "kqa-verdicts-kqa_150")
    assert verdicts["entailed"].tolist() == ["true", "false"] and verdicts["contradicted"].tolist() == ["false", "true"]
    app.checkbox(key="answers_contradicting").check().run()
    assert frame(app, f"kqa-questions-{RUN}")["question_id"].tolist() == ["kqa/150"]
    app.checkbox(key="answers_contradicting").uncheck().run()
    app.checkbox(key="answers_missed").check().run()
    assert frame(app, f"kqa-questions-{RUN}")["question_id"].tolist() == ["kqa/107"]
