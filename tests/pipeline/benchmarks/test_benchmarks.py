"""Benchmark loaders on the real vendored files: counts, ids, golds, provenance, malformed input, hub source."""

from __future__ import annotations

import collections
import csv
import hashlib
import json
import re
import zipfile
from pathlib import Path

import pytest

from pipeline import benchmarks, prompts
from pipeline.analysis.counterfactual import probe
from pipeline.analysis.variants import expand
from pipeline.benchmarks import frenchmedmcqa, headqa, medmcqa, medqa, mmlu, pubmedqa
from pipeline.benchmarks.errors import BenchmarkFormatError, HubUnavailable, NoFewshotSplit, UnknownTask
from pipeline.benchmarks.sampling import quotas, stratum_of
from pipeline.benchmarks.task import Task, Template
from pipeline.importers import lm_eval
from warehouse.records import Question

DATA = benchmarks.DATA_DIR

COUNTS = {
    "medqa_4options": 1273,
    "medmcqa": 4183,
    "pubmedqa": 500,
    "mmlu_anatomy": 135,
    "mmlu_clinical_knowledge": 265,
    "mmlu_college_biology": 144,
    "mmlu_college_medicine": 173,
    "mmlu_medical_genetics": 100,
    "mmlu_professional_medicine": 272,
    "frenchmedmcqa": 622,
    "headqa_es": 2742 - 67,
    "headqa_en": 2742 - 67,
}


# ---------------------------------------------------------------- names and groups


def test_task_names_and_groups():
    assert benchmarks.OMLL_TASKS == (
        "medqa_4options",
        "medmcqa",
        "pubmedqa",
        "mmlu_anatomy",
        "mmlu_clinical_knowledge",
        "mmlu_college_biology",
        "mmlu_college_medicine",
        "mmlu_medical_genetics",
        "mmlu_professional_medicine",
    )
    assert benchmarks.TASK_GROUPS["mmlu"] == benchmarks.OMLL_TASKS[3:]
    assert benchmarks.TASK_GROUPS["french"] == ("frenchmedmcqa",)
    assert benchmarks.TASK_GROUPS["spanish"] == ("headqa_es",)
    assert benchmarks.TASK_GROUPS["extra"] == ("frenchmedmcqa", "headqa_es", "headqa_en")
    assert set(benchmarks.TASKS) == set(COUNTS) | {"kqa"}  # kqa: open-ended, tests/pipeline/benchmarks/test_kqa.py
    assert benchmarks.TASK_GROUPS["open"] == ("kqa",)


def test_resolve_tasks_expands_groups_and_drops_duplicates_in_order():
    assert benchmarks.resolve_tasks("pubmedqa, mmlu ,mmlu_anatomy,french") == [
        "pubmedqa",
        "mmlu_anatomy",
        "mmlu_clinical_knowledge",
        "mmlu_college_biology",
        "mmlu_college_medicine",
        "mmlu_medical_genetics",
        "mmlu_professional_medicine",
        "frenchmedmcqa",
    ]
    assert benchmarks.resolve_tasks("omll,extra") == list(benchmarks.OMLL_TASKS) + [
        "frenchmedmcqa",
        "headqa_es",
        "headqa_en",
    ]


@pytest.mark.parametrize("spec", ["medqa,nope", "", " , "])
def test_resolve_tasks_lists_valid_names_on_unknown(spec):
    with pytest.raises(UnknownTask) as error:
        benchmarks.resolve_tasks(spec)
    assert isinstance(error.value, ValueError)
    message = str(error.value)
    assert (
        "headqa_en" in message and "mmlu_anatomy" in message and "groups: omll, mmlu, french, spanish, extra" in message
    )


def test_task_info():
    info = benchmarks.task_info("frenchmedmcqa")
    assert (info.benchmark, info.split, info.language, info.task_group, info.metric) == (
        "frenchmedmcqa",
        "test",
        "fr",
        "french",
        "emr",
    )
    assert info.source == "pipeline/benchmarks/data/frenchmedmcqa/test.json"
    assert info.data_sha256 == "f53d1682af74558ed58b74c8b422a78199b1a0d4e7f0d47e532c5b4b3411e35e"
    medmcqa_info = benchmarks.task_info("medmcqa")
    assert (medmcqa_info.split, medmcqa_info.task_group, medmcqa_info.metric) == ("validation", "omll", "acc")
    assert medmcqa_info.data_sha256 == "a2b5f53890f4e742b728378fb847bc5338088d48ea01218676379f587270af31"
    assert [benchmarks.task_info(t).task_group for t in ("headqa_es", "headqa_en")] == ["spanish", "extra"]
    assert [benchmarks.task_info(t).language for t in ("headqa_es", "headqa_en")] == ["es", "en"]
    for task in benchmarks.OMLL_TASKS:
        info = benchmarks.task_info(task)
        assert info.task_group == "omll" and info.metric == "acc"
        assert (DATA.parent.parent.parent / info.source).is_file()
    hub = benchmarks.task_info("mmlu_anatomy", source="hub")
    assert (
        hub.source
        == "hf://datasets/cais/mmlu@c30699e8356da336a370243923dbaf21066bb9fe/anatomy/test-00000-of-00001.parquet"
    )
    assert hub.data_sha256 is None


# ---------------------------------------------------------------- the vendored files


# PROVENANCE.md's shortened values that are misprinted, and what the file's full sha256 really ends with.
# K-QA: `8038e1f0…0770887` for questions.jsonl (the file, byte for byte the shared copy, ends ...07770887)
# and `3fb4f55f…2eb3` for is_entails.txt (it ends ...d2463eb3). Heads match; SHA256SUMS pins full values.
SHORT_SHA256_TYPOS = {"kqa/questions.jsonl": {"0770887": "07770887"}, "kqa/is_entails.txt": {"2eb3": "2463eb3"}}


def provenance_sha256(folder: Path) -> dict[str, str]:
    """file -> sha256 as PROVENANCE.md lists it; where it lists shortened values (K-QA: `1d420466…2c6f`),
    the full values come from the folder's SHA256SUMS, and each must agree with PROVENANCE.md's short one."""
    text = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"`?([\w./-]+\.(?:jsonl|json|csv|txt))`?\s+([0-9a-f]{64})", text))
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        full = dict(line.split()[::-1] for line in sums.read_text(encoding="utf-8").splitlines())
        short = re.findall(r"`([\w./-]+)`\s*\|[^|]*\|\s*`([0-9a-f]+)…([0-9a-f]+)`", text)
        assert short, f"{folder.name}: PROVENANCE.md lists no shortened sha256"
        for name, head, tail in short:
            tail = SHORT_SHA256_TYPOS.get(f"{folder.name}/{name}", {}).get(tail, tail)
            assert full[name].startswith(head) and full[name].endswith(tail), f"{folder.name}/{name}"
        listed.update(full)
    return listed


def test_every_vendored_file_matches_its_provenance_sha256():
    checked = 0
    for folder in sorted(p for p in DATA.iterdir() if p.is_dir()):
        listed = provenance_sha256(folder)
        assert (folder / "NOTICE").is_file(), f"{folder.name}: missing NOTICE"
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder).as_posix()
            if path.is_dir() or relative in ("PROVENANCE.md", "NOTICE", "SHA256SUMS"):
                continue
            assert relative in listed, f"{folder.name}/{relative} is vendored but not listed in PROVENANCE.md"
            assert hashlib.sha256(path.read_bytes()).hexdigest() == listed[relative], f"{folder.name}/{relative}"
            checked += 1
    assert checked == 32  # medqa 2, medmcqa 1, pubmedqa 3, mmlu 12, frenchmedmcqa 2, headqa 4 + 2 README.txt, kqa 6


SHARED_PROVENANCE = Path(__file__).resolve().parents[2] / "fixtures" / "shared_provenance.sha256"


def test_provenance_copies_are_the_shared_originals():
    """Each vendored PROVENANCE.md is byte for byte the one in ../shared/benchmarks, by the sha256 recorded
    in the fixture (made there with `sha256sum <folder>/PROVENANCE.md`), so the test needs no ../shared."""
    assert SHARED_PROVENANCE.is_file(), f"{SHARED_PROVENANCE} is missing: restore it from git"
    listed = dict(line.split()[::-1] for line in SHARED_PROVENANCE.read_text(encoding="utf-8").splitlines())
    folders = ("medqa", "medmcqa", "pubmedqa", "mmlu", "frenchmedmcqa", "headqa", "kqa")
    assert sorted(listed) == sorted(f"{folder}/PROVENANCE.md" for folder in folders)
    for folder in folders:
        vendored = hashlib.sha256((DATA / folder / "PROVENANCE.md").read_bytes()).hexdigest()
        assert vendored == listed[f"{folder}/PROVENANCE.md"], folder


# ---------------------------------------------------------------- loaded questions


@pytest.mark.parametrize("task", list(COUNTS))
def test_counts_ids_and_shapes(task):
    questions = benchmarks.load_questions(task)
    assert len(questions) == COUNTS[task]
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.task == task and q.id == f"{task}/{q.source_id}"
        assert q.golds and all(0 <= g < len(q.options) for g in q.golds)
        assert all(option.strip() for option in q.options) and q.text.strip()
    assert {len(q.options) for q in questions} == (
        {5} if task == "frenchmedmcqa" else {3} if task == "pubmedqa" else {4}
    )


def test_headqa_excludes_image_questions_and_reports_them():
    for task in ("headqa_es", "headqa_en"):
        assert benchmarks.excluded_count(task) == 67
        ids = {q.source_id for q in benchmarks.load_questions(task)}
        assert "Cuaderno_2016_1_M-1" not in ids  # the first MIR question, which shows an image
    assert benchmarks.excluded_count("medqa_4options") == 0
    split = headqa.parse_file(DATA / "headqa/es/test_HEAD.json", "headqa_es")
    assert len(split.questions) + len(split.excluded_ids) == 2742
    categories = collections.Counter(q.subject for q in split.questions)
    assert categories == {
        "biology": 454,
        "nursery": 455,
        "pharmacology": 457,
        "medicine": 463 - 67,
        "psychology": 455,
        "chemistry": 458,
    }


def test_first_ids_follow_file_order():
    assert benchmarks.load_questions("medqa_4options")[267].id == "medqa_4options/267"
    assert benchmarks.load_questions("medmcqa")[0].id == "medmcqa/45258d3d-b974-44dd-a161-c3fccbdadd88"
    assert benchmarks.load_questions("pubmedqa")[0].id == "pubmedqa/12377809"
    assert benchmarks.load_questions("headqa_es")[0].id == "headqa_es/Cuaderno_2016_1_B-1"
    assert benchmarks.load_questions("mmlu_clinical_knowledge")[182].id == "mmlu_clinical_knowledge/182"


def golds_of(task: str, source_id: str) -> tuple[int, ...]:
    return next(q.golds for q in benchmarks.load_questions(task) if q.source_id == source_id)


def test_gold_spot_checks():
    assert golds_of("medqa_4options", "0") == (1,)  # PROVENANCE example: answer_idx "B"
    assert golds_of("medqa_4options", "267") == (3,)  # hemophilia carrier: "D" 100%
    assert golds_of("medmcqa", "45258d3d-b974-44dd-a161-c3fccbdadd88") == (0,)  # cop 1 (1-based) = A
    assert golds_of("medmcqa", "b84028e6-34ae-44f6-9deb-10d9122d592f") == (2,)  # "Ig in GCF?" cop 3 = Ig G
    assert golds_of("pubmedqa", "12377809") == (0,)  # test_ground_truth.json: "yes"
    assert golds_of("pubmedqa", "21214884") == (1,)  # HPV in breast milk: "no"
    assert golds_of("mmlu_anatomy", "0") == (0,)  # PROVENANCE example row ends in ",A"
    assert golds_of("mmlu_anatomy", "53") == (1,)  # spinal canal: dorsal
    assert golds_of("mmlu_clinical_knowledge", "182") == (1,)  # pH of water: 7
    assert golds_of("mmlu_college_biology", "73") == (0,)  # 2% of the genome
    assert golds_of("mmlu_college_medicine", "156") == (1,)  # exons
    assert golds_of("mmlu_medical_genetics", "73") == (2,)  # 46
    assert golds_of("mmlu_professional_medicine", "140") == (1,)  # egg allergy: influenza
    assert golds_of("frenchmedmcqa", "c2dc3f530e04c26e52fb50f570f73bf6cdc804ff7b65a12d215049c82f13a90a") == (1, 2, 3)
    assert golds_of("frenchmedmcqa", "dfd0018862a4db04de282549948c46544fb6311e443483e1189f1a54d37d1de7") == (1,)
    assert golds_of("headqa_es", "Cuaderno_2016_1_B-1") == (1,)  # PROVENANCE example: ra "2", Colágeno
    assert golds_of("headqa_en", "Cuaderno_2016_1_B-162") == (2,)  # ra "3": ATM.


def test_gold_distributions_match_provenance():
    def dist(task):
        return collections.Counter(q.golds for q in benchmarks.load_questions(task))

    assert dist("medqa_4options") == {(0,): 353, (1,): 309, (2,): 346, (3,): 265}
    assert dist("medmcqa") == {(0,): 1348, (1,): 1085, (2,): 925, (3,): 825}
    assert dist("pubmedqa") == {(0,): 276, (1,): 169, (2,): 55}
    assert dist("mmlu_professional_medicine")[(3,)] == 122
    answers = collections.Counter(len(q.golds) for q in benchmarks.load_questions("frenchmedmcqa"))
    assert answers == {1: 321, 2: 97, 3: 141, 4: 56, 5: 7}
    steps = collections.Counter(q.subject for q in benchmarks.load_questions("medqa_4options"))
    assert steps == {"step1": 679, "step2&3": 594}


def test_fields_carried_from_the_sources():
    oxygen = next(
        q for q in benchmarks.load_questions("medmcqa") if q.source_id == "406b5b4f-9ad4-42c0-9669-12d038df4ac8"
    )
    assert (oxygen.subject, oxygen.topic, oxygen.golds) == ("Anaesthesia", "AIIMS 2017", (2,))
    assert (
        oxygen.explanation
        == "Bag and mask-100% O2 Venturi mask- 60% O2 Nasal cannula - 40% O2 Mask with reservoir- 80-90% O2"
    )
    hpv = next(q for q in benchmarks.load_questions("pubmedqa") if q.source_id == "21214884")
    assert hpv.options == ("yes", "no", "maybe")
    assert hpv.context == (
        "Using polymerase chain reaction techniques, we evaluated the presence of HPV infection in human breast milk "
        "collected from 21 HPV-positive and 11 HPV-negative mothers.\nOf the 32 studied human milk specimens, no "
        "'high-risk' HPV 16, 18, 31, 33, 35, 39, 45, 51, 52, 56, 58 or 58 DNA was detected."
    )
    assert benchmarks.load_questions("mmlu_clinical_knowledge")[0].subject == "clinical_knowledge"
    assert benchmarks.load_questions("headqa_en")[0].subject == "biology"


def test_multiline_csv_fields_stay_in_one_question():
    questions = benchmarks.load_questions("mmlu_college_medicine")
    assert sum("\n" in q.text for q in questions) >= 1
    assert len(questions) == 173  # 16 rows have embedded newlines; a line split would give more


def test_load_returns_a_fresh_list_each_call():
    first = benchmarks.load_questions("mmlu_anatomy")
    first.clear()
    assert len(benchmarks.load_questions("mmlu_anatomy")) == 135


def test_unknown_source_and_task():
    with pytest.raises(ValueError, match="'local'"):
        benchmarks.load_questions("medmcqa", source="ftp")
    with pytest.raises(UnknownTask, match="valid tasks"):
        benchmarks.load_questions("medqa")


# ---------------------------------------------------------------- few-shot pools


def test_mmlu_fewshot_pool_is_the_dev_split_in_file_order():
    pool = benchmarks.fewshot_pool("mmlu_anatomy")
    assert [q.id for q in pool] == [f"mmlu_anatomy/dev-{i}" for i in range(5)]
    assert pool[0].text == "What is the embryological origin of the hyoid bone?"
    assert [q.gold for q in pool] == [3, 3, 2, 2, 1]  # D D C C B
    test_ids = {q.id for q in benchmarks.load_questions("mmlu_anatomy")}
    assert not test_ids & {q.id for q in pool}
    for task in benchmarks.TASK_GROUPS["mmlu"]:
        assert len(benchmarks.fewshot_pool(task)) == 5


def test_frenchmedmcqa_fewshot_pool_is_its_dev_split():
    pool = benchmarks.fewshot_pool("frenchmedmcqa")
    assert len(pool) == 312
    assert collections.Counter(len(q.golds) for q in pool) == {1: 164, 2: 45, 3: 71, 4: 30, 5: 2}


@pytest.mark.parametrize("task", ["medmcqa"])  # the other pools: tests/pipeline/benchmarks/test_fewshot.py
def test_tasks_without_a_vendored_fewshot_split_say_so(task):
    with pytest.raises(NoFewshotSplit, match=f"train split, which is not vendored here; run {task} zero-shot"):
        benchmarks.fewshot_pool(task)


# ---------------------------------------------------------------- demo sample


def test_demo_sample_is_fixed_and_stratified():
    sample = benchmarks.demo_sample("medqa_4options")
    assert len(sample) == 25
    assert sample == benchmarks.demo_sample("medqa_4options", 25, benchmarks.DEMO_SEED)
    # Pinned ids: the rule is sha256-only, so these are the same on every machine and Python version.
    assert [q.source_id for q in sample[:5]] == DEMO_MEDQA_FIRST_FIVE
    full = benchmarks.load_questions("medqa_4options")
    positions = [full.index(q) for q in sample]
    assert positions == sorted(positions)
    sizes = collections.Counter(stratum_of(q) for q in full)
    assert collections.Counter(stratum_of(q) for q in sample) == {
        label: quota for label, quota in quotas(dict(sizes), 25, benchmarks.DEMO_SEED).items() if quota
    }
    for label, size in sizes.items():  # proportional to within one question
        assert abs(sum(stratum_of(q) == label for q in sample) - 25 * size / len(full)) < 1


def test_demo_sample_other_seed_size_and_small_tasks():
    base = {q.id for q in benchmarks.demo_sample("medmcqa")}
    assert base != {q.id for q in benchmarks.demo_sample("medmcqa", seed=1)}
    assert len(benchmarks.demo_sample("pubmedqa", 10)) == 10
    assert len(benchmarks.demo_sample("mmlu_medical_genetics", 500)) == 100
    assert benchmarks.demo_sample("mmlu_anatomy", 0) == []
    for task in benchmarks.TASKS:
        assert len(benchmarks.demo_sample(task)) == 25


def test_quotas_largest_remainder():
    assert quotas({"a": 50, "b": 30, "c": 20}, 10, 0) == {"a": 5, "b": 3, "c": 2}
    got = quotas({"a": 1, "b": 1, "c": 1}, 2, 7)
    assert sum(got.values()) == 2 and set(got.values()) == {0, 1}


DEMO_MEDQA_FIRST_FIVE = ["21", "24", "30", "70", "78"]


# ---------------------------------------------------------------- malformed files


def assert_names_all_three(error: BenchmarkFormatError, path: Path, row, field: str) -> None:
    assert (error.path, error.row, error.field) == (str(path), row, field)
    message = str(error)
    assert str(path) in message and f"row {row}" in message and repr(field) in message


MEDQA_GOOD = {
    "question": "Q?",
    "answer": "b",
    "options": {"A": "a", "B": "b", "C": "c", "D": "d"},
    "meta_info": "step1",
    "answer_idx": "B",
}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_missing_field(tmp_path):
    bad = {k: v for k, v in MEDQA_GOOD.items() if k != "options"}
    path = write_jsonl(tmp_path / "medqa.jsonl", [MEDQA_GOOD, bad])
    with pytest.raises(BenchmarkFormatError) as error:
        medqa.parse_file(path)
    assert_names_all_three(error.value, path, 1, "options")
    assert "missing required field" in str(error.value)


def test_gold_not_among_options(tmp_path):
    path = write_jsonl(tmp_path / "medqa.jsonl", [{**MEDQA_GOOD, "answer_idx": "E"}])
    with pytest.raises(BenchmarkFormatError) as error:
        medqa.parse_file(path)
    assert_names_all_three(error.value, path, 0, "answer_idx")
    medmcqa_record = {"id": "x", "question": "Q?", "opa": "a", "opb": "b", "opc": "c", "opd": "d", "cop": 5}
    path = write_jsonl(tmp_path / "dev.json", [medmcqa_record])
    with pytest.raises(BenchmarkFormatError, match="gold 5 is not among the options") as error:
        medmcqa.parse_file(path)
    assert_names_all_three(error.value, path, 0, "cop")
    path = tmp_path / "test_set.json"
    path.write_text(
        json.dumps({"1": {"QUESTION": "Q?", "CONTEXTS": ["c"], "final_decision": "perhaps"}}), encoding="utf-8"
    )
    with pytest.raises(BenchmarkFormatError) as error:
        pubmedqa.parse_files(path, path)
    assert_names_all_three(error.value, path, "1", "final_decision")


def test_empty_option(tmp_path):
    path = tmp_path / "anatomy_test.csv"
    path.write_text('What?,one,two,three,four,A\n"Which, then?",one,,three,four,B\n', encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="option 1 is empty") as error:
        mmlu.parse_file(path, "anatomy")
    assert_names_all_three(error.value, path, 1, "A..D")
    record = {
        "id": "f",
        "question": "Q?",
        "answers": {"a": "x", "b": " ", "c": "y", "d": "z", "e": "w"},
        "correct_answers": ["a"],
        "nbr_correct_answers": 1,
    }
    path = tmp_path / "test.json"
    path.write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError) as error:
        frenchmedmcqa.parse_file(path)
    assert_names_all_three(error.value, path, 0, "answers")


def test_invalid_json(tmp_path):
    path = tmp_path / "dev.json"
    path.write_text('{"id": "x", "question": "Q?"}\n{"id": "y", "question": \n', encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="invalid JSON") as error:
        medmcqa.parse_file(path)
    assert_names_all_three(error.value, path, 1, "<json>")
    path = tmp_path / "test_HEAD.json"
    path.write_text('{"exams": {\n  "Cuaderno": [1, 2,,]\n}}', encoding="utf-8")
    with pytest.raises(BenchmarkFormatError) as error:
        headqa.parse_file(path, "headqa_es")
    assert_names_all_three(error.value, path, 1, "<json>")


def test_invalid_utf8(tmp_path):
    path = tmp_path / "test_set.json"
    path.write_bytes(b'{"1": {\n"QUESTION": "caf\xe9?", "CONTEXTS": ["c"], "final_decision": "yes"}}')
    with pytest.raises(BenchmarkFormatError, match="invalid UTF-8 byte 0xe9") as error:
        pubmedqa.parse_files(path, path)
    assert_names_all_three(error.value, path, 1, "<utf-8>")
    csv_path = tmp_path / "anatomy_test.csv"
    csv_path.write_bytes(b"Q?,a,b,c,d,A\r\nQ2?,\xff,b,c,d,A\r\n")
    with pytest.raises(BenchmarkFormatError) as error:
        mmlu.parse_file(csv_path, "anatomy")
    assert_names_all_three(error.value, csv_path, 1, "<utf-8>")


def test_labels_must_agree_with_ground_truth(tmp_path):
    items = {"1": {"QUESTION": "Q?", "CONTEXTS": ["c"], "final_decision": "yes"}}
    test_set, truth = tmp_path / "test_set.json", tmp_path / "truth.json"
    test_set.write_text(json.dumps(items), encoding="utf-8")
    truth.write_text(json.dumps({"1": "no"}), encoding="utf-8")
    with pytest.raises(BenchmarkFormatError, match="disagrees with the ground truth") as error:
        pubmedqa.parse_files(test_set, truth)
    assert_names_all_three(error.value, test_set, "1", "final_decision")


# ---------------------------------------------------------------- Hugging Face hub source (offline cache)


def snapshot(cache: Path, repo_id: str, revision: str) -> Path:
    """The folder huggingface_hub reads a dataset revision from: datasets--org--name/snapshots/<sha>/."""
    repo = cache / f"datasets--{repo_id.replace('/', '--')}"
    commit = revision if re.fullmatch(r"[0-9a-f]{40}", revision) else hashlib.sha1(repo_id.encode()).hexdigest()
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / (revision if revision != commit else "main")).write_text(commit)
    folder = repo / "snapshots" / commit
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def build_hub_cache(cache: Path) -> None:
    """Files in each hub copy's own schema, made from the vendored data (the hub is never contacted)."""
    folder = snapshot(cache, medqa.HUB.repo_id, medqa.HUB.revision)
    lines = (DATA / medqa.TEST_FILE).read_text(encoding="utf-8").splitlines()
    rows = []
    for row, line in enumerate(lines):
        record = json.loads(line)
        rows.append(
            {
                "id": str(row),
                "sent1": record["question"],
                "sent2": "",
                **{f"ending{i}": record["options"][k] for i, k in enumerate("ABCD")},
                "label": "ABCD".index(record["answer_idx"]),
            }
        )
    write_jsonl(folder / medqa.HUB_TEST_FILE, rows)

    folder = snapshot(cache, medmcqa.HUB.repo_id, medmcqa.HUB.revision)
    records = [json.loads(line) for line in (DATA / medmcqa.DEV_FILE).read_text(encoding="utf-8").splitlines()]
    write_parquet(folder / medmcqa.HUB_VALIDATION_FILE, [{**r, "cop": r["cop"] - 1} for r in records])

    folder = snapshot(cache, pubmedqa.HUB.repo_id, pubmedqa.HUB.revision)
    with zipfile.ZipFile(folder / pubmedqa.HUB_ARCHIVE, "w") as archive:
        archive.writestr(pubmedqa.HUB_TEST_MEMBER, (DATA / pubmedqa.TEST_FILE).read_bytes())

    folder = snapshot(cache, mmlu.HUB.repo_id, mmlu.HUB.revision)
    for subject in mmlu.SUBJECTS:
        for split in ("test", "dev"):
            with open(DATA / mmlu.local_file(subject, split), encoding="utf-8", newline="") as handle:
                csv_rows = list(csv.reader(handle))
            write_parquet(
                folder / mmlu.hub_file(subject, split),
                [
                    {"question": q, "subject": subject, "choices": [a, b, c, d], "answer": "ABCD".index(gold)}
                    for q, a, b, c, d, gold in csv_rows
                ],
            )

    folder = snapshot(cache, headqa.HUB.repo_id, headqa.HUB.revision)
    # Both parquet layouts the loader accepts: "<config>/test-*.parquet" and "<config>/test/*.parquet".
    for task, target in (("headqa_es", "es/test-00000-of-00001.parquet"), ("headqa_en", "en/test/0000.parquet")):
        document = json.loads((DATA / headqa.TEST_FILES[task]).read_text(encoding="utf-8"))
        write_parquet(
            folder / target,
            [  # lm-eval's builder: stripped texts, int ids, no image column
                {
                    "name": exam["name"].strip(),
                    "year": exam["year"],
                    "category": exam["category"],
                    "qid": int(q["qid"]),
                    "qtext": q["qtext"].strip(),
                    "ra": int(q["ra"]),
                    "answers": [{"aid": a["aid"], "atext": a["atext"].strip()} for a in q["answers"]],
                }
                for exam in document["exams"].values()
                for q in exam["data"]
            ],
        )


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("hf_cache")
    build_hub_cache(cache)
    return cache


def identity(q):
    return (q.id, q.task, q.source_id, q.text, q.options, q.golds, q.context)


@pytest.mark.parametrize("task", [t for t in COUNTS if t != "frenchmedmcqa"])
def test_hub_source_yields_the_local_questions(task, hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    local = benchmarks.load_questions(task)
    hub = benchmarks.load_questions(task, source="hub", cache_dir=hub_cache)
    assert [identity(q) for q in hub] == [identity(q) for q in local]
    if task != "medqa_4options":  # GBaker's copy has no meta_info, so MedQA hub questions have no subject
        assert hub == local
    else:
        assert {q.subject for q in hub} == {None}


def test_hub_fewshot_pool_for_mmlu(hub_cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = benchmarks.fewshot_pool("mmlu_medical_genetics", source="hub", cache_dir=hub_cache)
    assert hub == benchmarks.fewshot_pool("mmlu_medical_genetics")


def test_hub_unreachable_and_not_cached_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(HubUnavailable) as error:
        benchmarks.load_questions("medmcqa", source="hub", cache_dir=tmp_path / "empty")
    message = str(error.value)
    assert "openlifescienceai/medmcqa@91c6572c454088bf71b679ad90aa8dffcd0d5868" in message
    assert "HF_HUB_OFFLINE" in message and "source='local'" in message
    with pytest.raises(HubUnavailable, match="source='local'"):
        benchmarks.load_questions("headqa_es", source="hub", cache_dir=tmp_path / "empty")


def test_hub_revision_override_reads_that_snapshot(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    other = "0123456789abcdef0123456789abcdef01234567"
    folder = snapshot(tmp_path, medqa.HUB.repo_id, other)
    write_jsonl(
        folder / medqa.HUB_TEST_FILE,
        [
            {
                "id": "0",
                "sent1": "Only?",
                "sent2": "",
                "ending0": "w",
                "ending1": "x",
                "ending2": "y",
                "ending3": "z",
                "label": 2,
            }
        ],
    )
    questions = benchmarks.load_questions("medqa_4options", source="hub", revision=other, cache_dir=tmp_path)
    assert [identity(q) for q in questions] == [
        ("medqa_4options/0", "medqa_4options", "0", "Only?", ("w", "x", "y", "z"), (2,), None)
    ]


def test_frenchmedmcqa_has_no_hub_copy():
    with pytest.raises(HubUnavailable, match="not an lm-evaluation-harness task"):
        benchmarks.load_questions("frenchmedmcqa", source="hub")


# ---------------------------------------------------------------- a task is one object


def test_a_new_task_is_one_object_that_every_consumer_reads(monkeypatch):
    """A multiple-choice task the code has never seen, registered by one entry: loaded, prompted, permuted
    and matched on import from its Task alone (no consumer compares its name)."""

    def load():
        return [
            Question(
                id="toyqa/q1",
                task="toyqa",
                source_id="q1",
                text="Which bone?",
                options=("femur", "ulna", "rib"),
                golds=(2,),
            )
        ]

    toy = Task(
        name="toyqa",
        benchmark="toyqa",
        split="test",
        language="en",
        task_group="extra",
        metric="acc",
        source="toyqa/test.json",
        load_local=load,
        template=Template("Q: {question}\n{options}A:", "{letter}) {option}\n"),
        doc_content=lambda doc: (None, doc["q"], doc["opts"]),
        counterfactual_eligible=False,
    )
    monkeypatch.setitem(benchmarks.TASKS, "toyqa", toy)
    [question] = benchmarks.load_questions("toyqa")
    request = prompts.build_request(question)
    assert request.context == "Q: Which bone?\nA) femur\nB) ulna\nC) rib\nA:"
    assert request.continuations == (" A", " B", " C")
    assert [(name, q.options, q.golds) for name, q in expand(question, ["perm:5"])] == [
        ("perm1", ("ulna", "rib", "femur"), (1,)),
        ("perm2", ("rib", "femur", "ulna"), (0,)),
    ]
    assert all(cf.question is None for cf in probe(question))
    assert lm_eval.supported("toyqa")
    index = lm_eval.QuestionIndex([question])
    assert index.match("toyqa", {"q": " Which  bone?", "opts": ["femur", "ulna ", "rib"]}) is question


def test_task_flags_of_the_vendored_tasks():
    tasks = benchmarks.TASKS
    assert [t for t in tasks if tasks[t].multi_answer] == ["frenchmedmcqa"]
    assert [t for t in tasks if not tasks[t].permutable] == ["pubmedqa", "kqa"]
    assert [t for t in tasks if tasks[t].counterfactual_eligible] == ["medqa_4options"]
    assert [t for t in tasks if not tasks[t].lettered_options] == ["pubmedqa", "headqa_es", "headqa_en", "kqa"]
    assert [t for t in tasks if tasks[t].doc_content is None] == ["frenchmedmcqa", "kqa"]  # not lm-eval tasks
    assert [t for t in tasks if tasks[t].open_ended] == ["kqa"]
    assert all(tasks[t].name == t for t in tasks)
