"""HEAD-QA v1.0 test split, Spanish original (headqa_es) and English machine translation (headqa_en).

Questions whose `image` is set refer to a figure that is not distributed: they are skipped, and the
number skipped is reported (67 of 2742 in test). The source id is "<exam name>-<qid>".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError, HubUnavailable
from pipeline.benchmarks.files import check_options, read_json, require, text_field, unique_source_ids
from pipeline.benchmarks.hub import HubDataset, fetch_snapshot
from pipeline.benchmarks.paths import data_file
from pipeline.benchmarks.task import Task, Template
from warehouse.records import Question

TEST_FILES = {"headqa_es": "headqa/es/test_HEAD.json", "headqa_en": "headqa/en/test_HEAD_EN.json"}
DEV_FILES = {"headqa_es": "headqa/es/dev_HEAD.json", "headqa_en": "headqa/en/dev_HEAD_EN.json"}
LANGUAGES = {"headqa_es": "es", "headqa_en": "en"}
GROUPS = {"headqa_es": "spanish", "headqa_en": "extra"}

# lm-evaluation-harness headqa_en / headqa_es: dataset_path EleutherAI/headqa, dataset_name en / es,
# test_split test. That copy is lm-eval's own HEAD-QA builder (the HF head_qa script without the image
# column), so image questions are recognised by their ids in the vendored release. No commit sha could be
# verified offline: the revision is the branch, and the parquet files are found under "<config>/" whether
# they are laid out as "<config>/test-*.parquet" or "<config>/test/*.parquet"; pass revision= to pin one
# (e.g. "refs/convert/parquet" if the branch holds only the loading script).
HUB = HubDataset("EleutherAI/headqa", "main")


@dataclass(frozen=True)
class HeadQASplit:
    questions: list[Question]
    excluded_ids: frozenset[str]  # source ids of the image questions that were skipped


def parse_file(path: str | Path, task: str) -> HeadQASplit:
    document = read_json(path)
    exams = document.get("exams") if isinstance(document, dict) else None
    if not isinstance(exams, dict):
        raise BenchmarkFormatError(path, 0, "exams", "expected an object of exams")
    rows, excluded = [], set()
    for exam_name, exam in exams.items():
        if not isinstance(exam, dict):
            raise BenchmarkFormatError(path, exam_name, "<exam>", "expected an object")
        category = text_field(exam, "category", path, exam_name)
        for item in require(exam, "data", list, path, exam_name):
            qid = text_field(item, "qid", path, exam_name) if isinstance(item, dict) else None
            if qid is None:
                raise BenchmarkFormatError(path, exam_name, "data", "every question must be an object")
            source_id = f"{exam_name}-{qid}"
            if item.get("image"):
                excluded.add(source_id)
                continue
            ra = text_field(item, "ra", path, source_id)
            if not ra.strip().isascii() or not ra.strip().isdigit():  # "²".isdigit(), yet int("²") fails
                raise BenchmarkFormatError(path, source_id, "ra", f"expected an answer id, found {ra!r}")
            answers = require(item, "answers", list, path, source_id)
            rows.append(
                (
                    source_id,
                    _question(
                        task, source_id, text_field(item, "qtext", path, source_id), answers, int(ra), category, path
                    ),
                )
            )
    return HeadQASplit(unique_source_ids(rows, path, "qid"), frozenset(excluded))


def parse_hub_files(paths: list[Path], task: str, excluded_ids: frozenset[str]) -> list[Question]:
    """Rows of lm-eval's hub copy (name, category, qid int, qtext, ra int, answers [{aid, atext}]), in file order."""
    import pyarrow.parquet as pq

    questions = []
    for path in paths:
        rows = []
        for row, record in enumerate(pq.read_table(path).to_pylist()):
            source_id = f"{text_field(record, 'name', path, row)}-{require(record, 'qid', int, path, row)}"
            if source_id in excluded_ids or record.get("image"):
                continue
            rows.append(
                (
                    row,
                    _question(
                        task,
                        source_id,
                        text_field(record, "qtext", path, source_id),
                        require(record, "answers", list, path, source_id),
                        require(record, "ra", int, path, source_id),
                        text_field(record, "category", path, source_id),
                        path,
                    ),
                )
            )
        questions.extend(unique_source_ids(rows, path, "qid"))
    return questions


def _question(task: str, source_id: str, text: str, answers: list, ra: int, category: str, path) -> Question:
    if not answers or not all(isinstance(a, dict) for a in answers):
        raise BenchmarkFormatError(path, source_id, "answers", "expected a non-empty list of {aid, atext} objects")
    options = check_options(tuple(a.get("atext") for a in answers), "answers", path, source_id)
    aids = [a.get("aid") for a in answers]
    if ra not in aids:
        raise BenchmarkFormatError(path, source_id, "ra", f"gold {ra} is not among the answer ids {aids}")
    return Question(
        id=f"{task}/{source_id}",
        task=task,
        source_id=source_id,
        text=text,
        options=options,
        golds=(aids.index(ra),),
        subject=category,
    )


def find_hub_split(snapshot: Path, config: str, split: str) -> list[Path]:
    """The split's parquet files under <config>/, in name order (shards are numbered)."""
    root = snapshot / config
    flat = sorted(root.glob(f"{split}-*.parquet"))
    return flat or sorted((root / split).glob("*.parquet"))


@cache
def parsed_test_file(task: str) -> HeadQASplit:
    return parse_file(data_file(TEST_FILES[task]), task)


def load_local(task: str) -> list[Question]:
    return parsed_test_file(task).questions


def excluded_count(task: str) -> int:
    return len(parsed_test_file(task).excluded_ids)


def dev_questions(task: str) -> list[Question]:
    """The task's dev questions (2015 exams) without those that show an image, as the test split is read."""
    return parse_file(data_file(DEV_FILES[task]), task).questions


def load_hub(task: str, dataset: HubDataset, cache_dir) -> list[Question]:
    config = dataset.config or LANGUAGES[task]
    snapshot = fetch_snapshot(dataset, [f"{config}/*"], cache_dir)
    paths = find_hub_split(snapshot, config, "test")
    if not paths:
        raise HubUnavailable(
            f"no parquet files for {config}/test in {dataset.uri()}; pass the revision that has "
            "them (e.g. revision='refs/convert/parquet') or use source='local'"
        )
    return parse_hub_files(paths, task, parsed_test_file(task).excluded_ids)


def doc_content(doc: dict) -> tuple[None, str, list[str]]:
    return None, doc["qtext"], [a["atext"] for a in doc["answers"]]


# lm-eval headqa/headqa_en.yaml: the answer texts are the choices.
TEMPLATE = Template("Question: {question}\nAnswer:", choices="options")


def language_task(task: str) -> Task:
    language = LANGUAGES[task]
    return Task(
        name=task,
        benchmark="headqa",
        split="test",
        language=language,
        task_group=GROUPS[task],
        metric="acc",
        source=TEST_FILES[task],
        load_local=partial(load_local, task),
        template=TEMPLATE,
        hub=HubDataset(HUB.repo_id, HUB.revision, language),
        hub_path=f"{language}/test",
        load_hub=partial(load_hub, task),
        fewshot_local=partial(dev_questions, task),
        doc_content=doc_content,
        excluded_count=partial(excluded_count, task),
    )


TASKS = tuple(language_task(task) for task in TEST_FILES)
