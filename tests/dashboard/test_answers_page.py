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


# ------------------------------------------------------------------ two answers, judges compared, slices
# A K-QA warehouse declared with tests/fixtures/builder.py:
#   GPT-4's answers to kqa/11 and kqa/22, with the physicians' majority labels (the judge set's real ones):
#     kqa/11: Must_have/0, Must_have/1, Nice_to_have/0 all Entailment; kqa/22: Must_have/0 Entailment,
#     Must_have/1..3 Neutral. Physicians: comprehensiveness kqa/11 2/2 = 1, kqa/22 1/4 = 0.25; no hallucination.
#   acme/judge's `medlb judge-check` verdicts on those very pairs (judge-set rows 111, 112, 114, 194-197) and on
#     one Bard pair (217, another model: never counted for GPT-4). It reads kqa/11 Must_have/1 the other way
#     (entails false, contradicts true) and agrees elsewhere: comprehensiveness kqa/11 1/2, kqa/22 1/4;
#     hallucinations kqa/11 1, kqa/22 0. Judge minus physicians: comprehensiveness (-0.5, 0), hallucinations (1, 0).
#   acme/judge-2 judged GPT-4's kqa/11 answer itself (`medlb judge --run`), all five statements: it entails the
#     four Must_have (the physicians labelled two, both Entailment) but not Nice_to_have/0 (Entailment for them).
#   acme/open-1 answered 14 questions (ANSWER, markdown and HTML): acme/judge entails only each Must_have/0 and
#     contradicts only each Nice_to_have/0; acme/judge-2 judged kqa/11 and kqa/22 the same way except that it
#     does not entail kqa/22's Must_have/0 (judges disagree on kqa/22 only).
GPT4_RUN, OPEN_RUN, J1, J2, PHYSICIANS = "run-gpt4", "run-open", "judge-a", "judge-b", "physicians-kqa"
GPT4_ANSWER = "GPT-4: <i>rest</i> & *drink* water [more](http://evil.example)"
PHYSICIANS_LABELS = {"kqa/11/Must_have/0": "Entailment", "kqa/11/Must_have/1": "Entailment",
                     "kqa/11/Nice_to_have/0": "Entailment", "kqa/22/Must_have/0": "Entailment",
                     "kqa/22/Must_have/1": "Neutral", "kqa/22/Must_have/2": "Neutral", "kqa/22/Must_have/3": "Neutral"}  # fmt: skip
JUDGE_SET_ROWS = {"kqa/11/Must_have/0": 111, "kqa/11/Must_have/1": 112, "kqa/11/Nice_to_have/0": 114,
                  "kqa/22/Must_have/0": 194, "kqa/22/Must_have/1": 195, "kqa/22/Must_have/2": 196,
                  "kqa/22/Must_have/3": 197}  # fmt: skip
SLICE_QUESTIONS = (
    "kqa/0",
    "kqa/14",
    "kqa/42",
    "kqa/66",
    "kqa/70",
    "kqa/83",
    "kqa/85",
    "kqa/86",
    "kqa/92",
    "kqa/104",
    "kqa/40",
    "kqa/4",
)  # fmt: skip  (ten of ICD-10 chapter 5, one unmapped, one of chapter 1)
OPEN_QUESTIONS = ("kqa/11", "kqa/22", *SLICE_QUESTIONS)


def test_the_fixture_pairs_are_gpt4s_on_those_statements():
    """The judge-set rows the fixture names are GPT-4's answers to kqa/11 and kqa/22 against those statements
    with those majority labels: read straight from the vendored CSV and questions file."""
    import csv
    import json

    from pipeline.benchmarks.paths import data_file

    lines = data_file(kqa.QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()
    with open(data_file(kqa.JUDGE_SET_FILE), encoding="utf-8", newline="") as f:
        rows = {int(r[""]): r for r in csv.DictReader(f)}
    for statement_id, row in JUDGE_SET_ROWS.items():
        _, line, kind, position = statement_id.split("/")
        record = json.loads(lines[int(line)])
        assert rows[row]["llm_x"] == "gpt4" and rows[row]["Question"] == record["Question"]
        assert rows[row]["claim"].strip() == record[kind][int(position)].strip()
        assert rows[row]["majority_label"] == PHYSICIANS_LABELS[statement_id]
    assert rows[217]["llm_x"] == "bard"


def _open_rule(statement_id: str, relation: str) -> str:
    kind, position = statement_id.split("/")[2:]
    if relation == "entails":
        return "true" if (kind, position) == ("Must_have", "0") else "false"
    return "true" if (kind, position) == ("Nice_to_have", "0") else "false"


def _judge_a_on_gpt4(statement_id: str, relation: str) -> str:
    positive = "Entailment" if relation == "entails" else "Contradiction"
    verdict = "true" if PHYSICIANS_LABELS[statement_id] == positive else "false"
    if statement_id == "kqa/11/Must_have/1":  # read the other way
        verdict = {"true": "false", "false": "true"}[verdict]
    return verdict


def kqa_rows():
    from pipeline import benchmarks
    from pipeline.generation import statement_rows
    from tests.fixtures.builder import OpenEnded, Rows, Run, generation, judge, judgment, run_spec
    from warehouse.writer import version_id_for

    items = [i for i in kqa.load_open() if i.id in OPEN_QUESTIONS]
    gpt4 = ModelInfo(name="GPT-4", revision="k-qa@x", label="K-QA answers", source="imported", model_type="commercial")
    open1 = ModelInfo(name="acme/open-1", revision="r1", label="v1")
    judge_models = [ModelInfo(name="acme/judge", revision="j1", label="j1"), ModelInfo(name="acme/judge-2", revision="j2", label="j2")]  # fmt: skip
    vid = {m.name: version_id_for(m.name, m.revision) for m in (gpt4, open1, *judge_models)}
    generations = [generation(GPT4_RUN, q, GPT4_ANSWER) for q in ("kqa/11", "kqa/22")]
    generations += [generation(OPEN_RUN, q, ANSWER) for q in OPEN_QUESTIONS]
    verdicts = []
    for statement_id, label in PHYSICIANS_LABELS.items():
        for relation, positive in (("entails", "Entailment"), ("contradicts", "Contradiction")):
            verdicts.append(
                judgment(PHYSICIANS, GPT4_RUN, statement_id, relation, "true" if label == positive else "false")
            )
            row = JUDGE_SET_ROWS[statement_id]
            verdicts.append(judgment(J1, judged.JUDGE_SET_RUN, f"kqa-judge-set/{row}", relation,
                                     _judge_a_on_gpt4(statement_id, relation), question_id=statement_id.rsplit("/", 2)[0]))  # fmt: skip
    verdicts += [judgment(J1, judged.JUDGE_SET_RUN, "kqa-judge-set/217", r, "true", question_id="kqa/26") for r in ("entails", "contradicts")]  # fmt: skip
    for item in items:
        for c in item.criteria:
            for relation in ("entails", "contradicts"):
                verdict = _open_rule(c.id, relation)
                verdicts.append(judgment(J1, OPEN_RUN, c.id, relation, verdict, probability=0.8))
                if item.id in ("kqa/11", "kqa/22"):
                    second = "false" if (c.id, relation) == ("kqa/22/Must_have/0", "entails") else verdict
                    verdicts.append(judgment(J2, OPEN_RUN, c.id, relation, second, rationale=f"**{c.id}** <b>so</b> The answer is {second}."))  # fmt: skip
                if item.id == "kqa/11":  # GPT-4's answer: entails all but Nice_to_have/0, contradicts nothing
                    entailed = relation == "entails" and c.kind == "Must_have"
                    verdicts.append(judgment(J2, GPT4_RUN, c.id, relation, "true" if entailed else "false"))
    checks = [{"judge_id": J1, "relation": relation, "n_pairs": 399, "n_unparsed": 0, "accuracy": 0.7, "accuracy_low": 0.65,
               "accuracy_high": 0.74, "kappa": kappa, "macro_f1": 0.5, "ceiling_kappa": 0.8, "confusion": {}}
              for relation, kappa in (("entails", 0.2), ("contradicts", 0.6))]  # fmt: skip
    runs = [  # generation runs with no multiple-choice predictions: the leaderboard names their model
        Run(run_spec(GPT4_RUN, vid["GPT-4"], ("kqa",), scoring_mode="generation", provenance="imported"), ()),
        Run(run_spec(OPEN_RUN, vid["acme/open-1"], ("kqa",), scoring_mode="generation"), ()),
    ]
    return Rows(
        tasks=[(benchmarks.task_info("kqa"), 201)],
        questions=[i.question for i in items],
        models=[gpt4, open1, *judge_models],
        runs=runs,
        open_ended=OpenEnded(
            statements=statement_rows(items),
            generations=generations,
            judges=[
                judge(PHYSICIANS, "physicians", "physicians (K-QA)", "physicians"),
                judge(J1, vid["acme/judge"], "acme/judge", "loglikelihood"),
                judge(J2, vid["acme/judge-2"], "acme/judge-2", "generative"),
            ],  # fmt: skip
            judgments=verdicts,
            checks=checks,
        ),
    )


def build_kqa_warehouse(path, base=None):
    """The K-QA warehouse above at `path` (over a copy of the warehouse `base`, when given)."""
    from tests.fixtures.builder import build_warehouse

    if base is not None:
        shutil.copy(base, path)
    return build_warehouse(path, kqa_rows())


@pytest.fixture
def kqa_path(fixture_path, tmp_path):
    return build_kqa_warehouse(tmp_path / "kqa.duckdb", fixture_path)


def key(run_id, judge_id):
    return f"{run_id}:{judge_id}"


def test_two_answers_side_by_side_with_the_physicians_marks(kqa_path, monkeypatch):
    app = run(make_app(kqa_path, monkeypatch), "app_pages/answers.py", entry=key(GPT4_RUN, J2),
              entry2=key(OPEN_RUN, J2), question="kqa/11")  # fmt: skip
    shown = [t.value for t in app.text]
    assert GPT4_ANSWER in shown and ANSWER in shown  # both answers, as typed
    assert not any("evil.example" in m.value for m in app.markdown)
    left, right = frame(app, "kqa-verdicts-kqa_11"), frame(app, "kqa-verdicts-second-kqa_11")
    ids = [
        "kqa/11/Must_have/0",
        "kqa/11/Must_have/1",
        "kqa/11/Must_have/2",
        "kqa/11/Must_have/3",
        "kqa/11/Nice_to_have/0",
    ]
    assert left["statement_id"].tolist() == right["statement_id"].tolist() == ids
    # GPT-4 under acme/judge-2, beside the physicians' majority on the three statements they labelled
    assert left["judge's mark"].tolist() == ["entailed"] * 4 + ["neutral"]
    assert left["physicians' mark"].tolist() == ["entailed", "entailed", "not labelled", "not labelled", "entailed"]
    # open-1 under acme/judge-2: Must_have/0 entailed, Nice_to_have/0 contradicted, the rest neither; no physician
    assert right["judge's mark"].tolist() == ["entailed", "neutral", "neutral", "neutral", "contradicted"]
    assert right["physicians' mark"].tolist() == ["not labelled"] * 5
    assert "**kqa/11/Must_have/0** <b>so</b> The answer is true." in shown  # its reasoning, as text
    assert app.query_params["entry2"] == key(OPEN_RUN, J2)
    assert app.selectbox(key="answers_entry2").options == [  # every other entry that answered kqa/11
        "GPT-4 K-QA answers, judged by physicians (K-QA) (physicians)",
        "acme/open-1 v1, judged by acme/judge (loglikelihood)",
        "acme/open-1 v1, judged by acme/judge-2 (generative)",
    ]


def test_judges_disagree_filter_and_its_link(kqa_path, monkeypatch):
    # open-1 under acme/judge: acme/judge-2 reads kqa/22's Must_have/0 the other way, kqa/11 alike
    app = run(make_app(kqa_path, monkeypatch), "app_pages/answers.py", entry=key(OPEN_RUN, J1), only="disagree")
    table = frame(app, f"kqa-questions-{OPEN_RUN}")
    assert table["question_id"].tolist() == ["kqa/22"]
    assert table["judges disagree"].tolist() == [1] and table["disagreeing judges"].tolist() == [
        "acme/judge-2 (generative)"
    ]
    app.checkbox(key="answers_disagree").uncheck().run()
    assert len(frame(app, f"kqa-questions-{OPEN_RUN}")) == len(OPEN_QUESTIONS)
    assert "only" not in app.query_params
    # GPT-4 under the physicians: acme/judge's judge check reads kqa/11's Must_have/1 the other way under both
    # relations; acme/judge-2 does not entail Nice_to_have/0; on kqa/22 every judge agrees
    app = run(make_app(kqa_path, monkeypatch), "app_pages/answers.py", entry=key(GPT4_RUN, PHYSICIANS), only="disagree")
    table = frame(app, f"kqa-questions-{GPT4_RUN}")
    assert table["question_id"].tolist() == ["kqa/11"] and table["judges disagree"].tolist() == [2 + 1]
    assert table["disagreeing judges"].tolist() == ["acme/judge (loglikelihood), acme/judge-2 (generative)"]


def test_judge_bias_per_model_against_the_library(kqa_path, monkeypatch):
    from scipy import stats

    app = run(make_app(kqa_path, monkeypatch), "app_pages/answers.py", view="bias")
    bias = frame(app, "kqa-judge-bias")
    assert bias["model"].tolist() == ["GPT-4"] * 4
    assert bias["judge"].tolist() == ["acme/judge (loglikelihood)"] * 2 + ["acme/judge-2 (generative)"] * 2
    one = bias[bias["judge"] == "acme/judge (loglikelihood)"].set_index("metric")
    # comprehensiveness: physicians (1, 0.25), judge (0.5, 0.25); hallucinations: physicians (0, 0), judge (1, 0)
    for metric, physicians, judge_scores in (
        ("comprehensiveness", [1, 0.25], [0.5, 0.25]),
        ("hallucinations", [0, 0], [1, 0]),
    ):
        row = one.loc[metric]
        diffs = [j - p for j, p in zip(judge_scores, physicians)]
        low, high = stats.t.interval(0.95, 1, loc=sum(diffs) / 2, scale=stats.sem(diffs))
        assert row["under the physicians"] == pytest.approx(sum(physicians) / 2)
        assert row["under the judge"] == pytest.approx(sum(judge_scores) / 2)
        assert row["difference (judge - physicians)"] == pytest.approx(sum(diffs) / 2)
        assert (row["95% low"], row["95% high"]) == (pytest.approx(low), pytest.approx(high))
        assert row["paired t-test p"] == pytest.approx(stats.ttest_rel(judge_scores, physicians).pvalue)
        assert row["shared questions"] == 2
    assert one.loc["comprehensiveness", "pairs compared"] == 7  # the Bard pair is not GPT-4's
    assert one.loc["comprehensiveness", "judge agreement"] == "unvalidated (kappa 0.20 < 0.4)"
    assert one.loc["hallucinations", "judge agreement"] == "kappa 0.60 on 399 pairs"
    assert set(one["verdicts from"]) == {"its judge check (same answer and statement)"}
    two = bias[bias["judge"] == "acme/judge-2 (generative)"].set_index("metric")
    # judged on the run, kqa/11 only: entails both labelled Must_have, as the physicians -> no difference
    assert two.loc["comprehensiveness", "shared questions"] == 1
    assert two.loc["comprehensiveness", "difference (judge - physicians)"] == 0
    assert set(two["verdicts from"]) == {"judged on this run"}


def _raw_scores(question_id: str) -> tuple[float, int]:
    """acme/judge's open-1 scores by the fixture's rule, from the raw file: 1 / (non-empty Must_have) and
    1 where a Nice_to_have/0 exists."""
    import json

    from pipeline.benchmarks.paths import data_file

    record = json.loads(data_file(kqa.QUESTIONS_FILE).read_text(encoding="utf-8").splitlines()[int(question_id[4:])])
    must = [s for s in record["Must_have"] if s.strip()]
    return 1 / len(must), int(bool(record["Nice_to_have"] and record["Nice_to_have"][0].strip()))


def _record_csv(monkeypatch) -> list[str]:
    """Every CSV the page offers for download, in order (the numbers behind a table shown as text)."""
    from dashboard import widgets

    made, original = [], widgets.to_csv
    monkeypatch.setattr(widgets, "to_csv", lambda table: made.append(original(table)) or made[-1])
    return made


def _exported(made: list[str], header_start: str):
    import io

    import pandas as pd

    text = next(t for t in reversed(made) if t.removeprefix("\ufeff").startswith(header_start))
    return pd.read_csv(io.StringIO(text.removeprefix("\ufeff")))


def test_slices_by_chapter_and_diagnosis(kqa_path, monkeypatch):
    from scipy import stats

    made = _record_csv(monkeypatch)
    app = run(make_app(kqa_path, monkeypatch), "app_pages/answers.py", entry=key(OPEN_RUN, J1), view="slices")
    shown = frame(app, f"kqa-slices-chapter-{OPEN_RUN}").set_index("slice")
    mental = "5. Mental, Behavioral and Neurodevelopmental disorders (F01-F99)"
    infectious = "1. Certain infectious and parasitic diseases (A00-B99)"
    assert dict(shown["questions"]) == {mental: 10, infectious: 1, "unmapped": 1, "(no diagnosis recorded)": 2}
    assert not shown.loc[mental, "comprehensiveness"].startswith("⚠")  # 10 questions: the minimum
    assert (
        shown.loc["unmapped", "comprehensiveness"].startswith("⚠")
        and "(n < 10)" in shown.loc["unmapped", "hallucinations"]
    )
    exported = _exported(made, "slice,questions,comprehensiveness").set_index("slice")
    comp, hall = zip(*(_raw_scores(q) for q in SLICE_QUESTIONS[:10]))
    assert sum(hall) == 7
    for metric, values in (("comprehensiveness", comp), ("hallucinations", hall)):
        mean = sum(values) / 10
        low, high = stats.t.interval(0.95, 9, loc=mean, scale=stats.sem(values))
        assert exported.loc[mental, metric] == pytest.approx(mean)
        assert exported.loc[mental, [f"{metric} 95% low", f"{metric} 95% high"]].tolist() == [
            pytest.approx(low),
            pytest.approx(high),
        ]
    assert exported.loc["(no diagnosis recorded)", "comprehensiveness"] == pytest.approx(
        (1 / 4 + 1 / 4) / 2
    )  # kqa/11, kqa/22
    assert exported["too few"].tolist() == [
        True,
        True,
        False,
        True,
    ]  # sorted: "(no ...", "1. ...", "5. ...", "unmapped"
    app.radio(key="answers_slice_by").set_value("diagnosis").run()
    assert app.query_params["slice_by"] == "diagnosis"
    diagnoses = frame(app, f"kqa-slices-diagnosis-{OPEN_RUN}").set_index("slice")
    assert diagnoses.loc["Migraine, unsp, not intractable, without status migrainosus", "ICD-10-CM code"] == "unmapped"
    assert diagnoses.loc["Herpesviral infection, unspecified", "ICD-10-CM code"] == "B00.9"  # kqa/4
    assert diagnoses["questions"].sum() == len(OPEN_QUESTIONS)


def test_judge_bias_on_the_real_physicians_import(fixture_path, tmp_path, monkeypatch):
    """`medlb import kqa-physicians` as it is, and a judge whose judge check said "entails, does not contradict"
    on all 399 pairs: its verdicts land on every one of the 385 imported pairs (PROVENANCE: 14 of 399 match no
    statement), so under it each model's Comprehensiveness is 1 and Hallucinations 0, and the difference is the
    physicians' own score (the leaderboard's row for that model) moved to 1 and to 0."""
    from pipeline.judging.physicians import import_physicians
    from tests.fixtures.builder import OpenEnded, Rows, build_warehouse, judge, judgment

    path = tmp_path / "real.duckdb"
    shutil.copy(fixture_path, path)
    import_physicians(path)
    always = [judgment(J1, judged.JUDGE_SET_RUN, p.pair_id, relation, "true" if relation == "entails" else "false",
                       question_id="")
              for p in kqa.load_judge_set() for relation in ("entails", "contradicts")]  # fmt: skip
    build_warehouse(
        path, Rows(open_ended=OpenEnded(judges=[judge(J1, "v", "acme/judge", "loglikelihood")], judgments=always))
    )
    app = run(make_app(path, monkeypatch), "app_pages/answers.py", view="bias")
    bias = frame(app, "kqa-judge-bias")
    board = frame(app, "kqa-leaderboard").set_index("model")
    assert sorted(set(bias["model"])) == sorted(kqa.JUDGE_SET_MODELS.values())
    comp = bias[bias["metric"] == "comprehensiveness"].set_index("model")
    hall = bias[bias["metric"] == "hallucinations"].set_index("model")
    assert comp["pairs compared"].sum() == hall["pairs compared"].sum() == 385
    assert comp["shared questions"].tolist() == board.loc[comp.index, "questions"].tolist()
    for model in comp.index:
        physicians = board.loc[model, "comprehensiveness"]
        assert comp.loc[model, "under the physicians"] == pytest.approx(physicians)
        assert comp.loc[model, "under the judge"] == 1.0 and hall.loc[model, "under the judge"] == 0.0
        assert comp.loc[model, "difference (judge - physicians)"] == pytest.approx(1 - physicians)
        assert hall.loc[model, "difference (judge - physicians)"] == pytest.approx(-board.loc[model, "hallucinations"])
