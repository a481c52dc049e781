"""Few-shot pools on the real vendored files: sizes, order, ids apart from the test ids, exact prompt text."""

from __future__ import annotations

import collections
import json
import shutil

import pytest

from pipeline import benchmarks, prompts
from pipeline.benchmarks import headqa, paths, pubmedqa
from pipeline.benchmarks.errors import BenchmarkFormatError, HubUnavailable, NoFewshotSplit
from pipeline.run import shots_by_task, shots_for

DATA = benchmarks.DATA_DIR

POOL_SIZES = {
    "medqa_4options": 1272,  # the whole dev split
    "pubmedqa": 500,  # PQA-L's 1000 minus the 500 test PMIDs
    "headqa_es": 1366 - 30,  # dev split minus its questions that show an image
    "headqa_en": 1366 - 30,
    "frenchmedmcqa": 312,
    **{task: 5 for task in benchmarks.MMLU_TASKS},
}

# The first MedQA dev vignette as lm-eval renders a shot: doc_to_text + " " + gold letter + "\n\n".
MEDQA_1SHOT_PREFIX = (
    "Question: A 21-year-old sexually active male complains of fever, pain during urination, and inflammation "
    "and pain in the right knee. A culture of the joint fluid shows a bacteria that does not ferment maltose and "
    "has no polysaccharide capsule. The physician orders antibiotic therapy for the patient. The mechanism of "
    "action of action of the medication given blocks cell wall synthesis, which of the following was given?\n"
    "A. Gentamicin\nB. Ciprofloxacin\nC. Ceftriaxone\nD. Trimethoprim\nAnswer: C\n\n"
)


def test_pool_sizes():
    assert {task: len(benchmarks.fewshot_pool(task)) for task in POOL_SIZES} == POOL_SIZES
    # the dev questions left out of the pool because they refer to an image
    dev_excluded = [
        len(headqa.parse_file(headqa.data_file(headqa.DEV_FILES[t]), t).excluded_ids)
        for t in ("headqa_es", "headqa_en")
    ]
    assert dev_excluded == [30, 30]


@pytest.mark.parametrize("task", list(POOL_SIZES))
def test_pool_ids_never_meet_test_ids(task):
    pool = benchmarks.fewshot_pool(task)
    assert len({q.id for q in pool}) == len(pool)
    assert not {q.id for q in pool} & {q.id for q in benchmarks.load_questions(task)}
    assert all(q.task == task and q.id == f"{task}/{q.source_id}" for q in pool)


def test_medqa_pool_is_the_dev_split_in_file_order():
    pool = benchmarks.fewshot_pool("medqa_4options")
    lines = (DATA / "medqa/phrases_no_exclude_dev.jsonl").read_text(encoding="utf-8").splitlines()
    assert [q.id for q in pool[:3]] == ["medqa_4options/dev-0", "medqa_4options/dev-1", "medqa_4options/dev-2"]
    for q, line in zip(pool, lines):
        record = json.loads(line)
        assert q.text == record["question"] and q.golds == ("ABCD".index(record["answer_idx"]),)
    # PROVENANCE.md: dev answer_idx A/B/C/D = 330/316/352/274, step1 701 / step2&3 571
    assert collections.Counter("ABCD"[q.gold] for q in pool) == {"A": 330, "B": 316, "C": 352, "D": 274}
    assert collections.Counter(q.subject for q in pool) == {"step1": 701, "step2&3": 571}


def test_pubmedqa_pool_is_pqal_minus_the_test_pmids_in_file_order():
    pool = benchmarks.fewshot_pool("pubmedqa")
    pqal = json.loads((DATA / "pubmedqa/ori_pqal.json").read_text(encoding="utf-8"))
    test = json.loads((DATA / "pubmedqa/test_ground_truth.json").read_text(encoding="utf-8"))
    assert [q.source_id for q in pool] == [pmid for pmid in pqal if pmid not in test]
    assert pool[0].id == "pubmedqa/10808977"
    # PQA-L is 552/338/110 yes/no/maybe and the test set 276/169/55: the pool holds the other half
    assert collections.Counter(q.options[q.gold] for q in pool) == {"yes": 276, "no": 169, "maybe": 55}
    assert pool[0].context == "\n".join(pqal["10808977"]["CONTEXTS"])


def test_headqa_pool_is_the_dev_split_without_image_questions():
    for task, name in (("headqa_es", "es/dev_HEAD.json"), ("headqa_en", "en/dev_HEAD_EN.json")):
        pool = benchmarks.fewshot_pool(task)
        exams = json.loads((DATA / "headqa" / name).read_text(encoding="utf-8"))["exams"]
        expected = [
            f"{exam}-{item['qid']}" for exam, body in exams.items() for item in body["data"] if not item["image"]
        ]
        assert [q.source_id for q in pool] == expected
        assert {q.source_id.split("-")[0][:13] for q in pool} == {"Cuaderno_2015"}  # the dev exams
    assert benchmarks.fewshot_pool("headqa_en")[0].text.startswith("The equilibrium potential for a permeant ion")


def test_medmcqa_has_no_pool_and_says_what_to_do():
    with pytest.raises(NoFewshotSplit, match="train split, which is not vendored here; run medmcqa zero-shot"):
        benchmarks.fewshot_pool("medmcqa")


def test_new_pools_have_no_hub_copy():
    with pytest.raises(HubUnavailable, match="use source='local'"):
        benchmarks.fewshot_pool("medqa_4options", source="hub")


def test_medqa_one_shot_prompt_text():
    question = benchmarks.load_questions("medqa_4options")[0]
    request = prompts.build_request(question, shots_for("medqa_4options", 1))
    assert request.prefix == MEDQA_1SHOT_PREFIX
    assert request.context == prompts.doc_to_text(question)
    assert request.context.startswith("Question: A junior orthopaedic surgery resident")
    assert request.context.endswith("\nD. Refuse to dictate the operative report\nAnswer:")
    assert request.prompt == MEDQA_1SHOT_PREFIX + request.context


def test_pubmedqa_one_shot_prompt_text():
    """Abstract (contexts joined by newlines), question, and the shot's gold word after "Answer:"."""
    pqal = json.loads((DATA / "pubmedqa/ori_pqal.json").read_text(encoding="utf-8"))
    shot = pqal["10808977"]
    question = benchmarks.load_questions("pubmedqa")[0]
    request = prompts.build_request(question, shots_for("pubmedqa", 1))
    assert request.prefix == (
        "Abstract: "
        + "\n".join(shot["CONTEXTS"])
        + "\nQuestion: Can tailored interventions increase mammography use among HMO women?\nAnswer: yes\n\n"
    )
    assert request.prefix.startswith("Abstract: Telephone counseling and tailored print communications have emerged")
    assert "\nThree-year randomized field trial.\n" in request.prefix
    assert request.context == f"Abstract: {question.context}\nQuestion: {question.text}\nAnswer:"
    assert request.continuations == (" yes", " no", " maybe")


def test_shots_by_task_skips_tasks_without_a_pool():
    shots, skipped = shots_by_task(["mmlu_anatomy", "medmcqa", "pubmedqa"], 2)
    assert list(shots) == ["mmlu_anatomy", "pubmedqa"]
    assert [q.id for q in shots["pubmedqa"]] == ["pubmedqa/10808977", "pubmedqa/23831910"]
    assert list(skipped) == ["medmcqa"] and "run medmcqa zero-shot" in skipped["medmcqa"]
    assert shots_by_task(["medmcqa"], 0) == ({"medmcqa": ()}, {})  # zero-shot needs no pool
    with pytest.raises(NoFewshotSplit, match="medmcqa"):  # nothing left to run
        shots_by_task(["medmcqa"], 1)


@pytest.fixture
def pubmedqa_copy(tmp_path, monkeypatch):
    """The three PubMedQA files in a scratch data folder the pool is read from."""
    folder = tmp_path / "pubmedqa"
    folder.mkdir()
    for name in ("ori_pqal.json", "test_set.json", "test_ground_truth.json"):
        shutil.copyfile(DATA / "pubmedqa" / name, folder / name)
    monkeypatch.setattr(paths, "DATA_DIR", tmp_path)
    return folder


def test_pubmedqa_pool_refuses_a_pqal_file_that_disagrees_with_the_test_set(pubmedqa_copy):
    path = pubmedqa_copy / "ori_pqal.json"
    pqal = json.loads(path.read_text(encoding="utf-8"))
    pqal["12377809"]["QUESTION"] += " (edited)"  # a test PMID
    path.write_text(json.dumps(pqal), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError) as error:
        pubmedqa.pqal_train()
    assert (error.value.row, error.value.field) == ("12377809", "<item>")
    assert error.value.path.endswith("pubmedqa/ori_pqal.json")


def test_pubmedqa_pool_refuses_a_pqal_file_without_a_test_pmid(pubmedqa_copy):
    path = pubmedqa_copy / "ori_pqal.json"
    pqal = json.loads(path.read_text(encoding="utf-8"))
    del pqal["12377809"]
    path.write_text(json.dumps(pqal), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="a test PMID is missing") as error:
        pubmedqa.pqal_train()
    assert error.value.row == "12377809"
