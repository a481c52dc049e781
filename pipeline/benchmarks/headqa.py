"""HEAD-QA v1.0 test split, Spanish original (headqa_es) and English machine translation (headqa_en).

Questions whose `image` is set refer to a figure that is not distributed: they are skipped, and the
number skipped is reported (67 of 2742 in test). The source id is "<exam name>-<qid>".
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.benchmarks.errors import BenchmarkFormatError
from pipeline.benchmarks.files import check_options, read_json, require, text_field
from pipeline.benchmarks.hub import HubDataset
from warehouse.records import Question

TEST_FILES = {"headqa_es": "headqa/es/test_HEAD.json", "headqa_en": "headqa/en/test_HEAD_EN.json"}
LANGUAGES = {"headqa_es": "es", "headqa_en": "en"}

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
    questions, excluded = [], set()
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
            if not ra.strip().isdigit():
                raise BenchmarkFormatError(path, source_id, "ra", f"expected an answer id, found {ra!r}")
            answers = require(item, "answers", list, path, source_id)
            questions.append(_question(task, source_id, text_field(item, "qtext", path, source_id), answers,
                                       int(ra), category, path))
    return HeadQASplit(questions, frozenset(excluded))


def parse_hub_files(paths: list[Path], task: str, excluded_ids: frozenset[str]) -> list[Question]:
    """Rows of lm-eval's hub copy (name, category, qid int, qtext, ra int, answers [{aid, atext}]), in file order."""
    import pyarrow.parquet as pq

    questions = []
    for path in paths:
        for row, record in enumerate(pq.read_table(path).to_pylist()):
            source_id = f"{text_field(record, 'name', path, row)}-{require(record, 'qid', int, path, row)}"
            if source_id in excluded_ids or record.get("image"):
                continue
            questions.append(_question(
                task, source_id, text_field(record, "qtext", path, source_id),
                require(record, "answers", list, path, source_id), require(record, "ra", int, path, source_id),
                text_field(record, "category", path, source_id), path,
            ))
    return questions


def _question(task: str, source_id: str, text: str, answers: list, ra: int, category: str, path) -> Question:
    if not answers or not all(isinstance(a, dict) for a in answers):
        raise BenchmarkFormatError(path, source_id, "answers", "expected a non-empty list of {aid, atext} objects")
    options = check_options(tuple(a.get("atext") for a in answers), "answers", path, source_id)
    aids = [a.get("aid") for a in answers]
    if ra not in aids:
        raise BenchmarkFormatError(path, source_id, "ra", f"gold {ra} is not among the answer ids {aids}")
    return Question(id=f"{task}/{source_id}", task=task, source_id=source_id, text=text, options=options,
                    golds=(aids.index(ra),), subject=category)


def find_hub_split(snapshot: Path, config: str, split: str) -> list[Path]:
    """The split's parquet files under <config>/, in name order (shards are numbered)."""
    root = snapshot / config
    flat = sorted(root.glob(f"{split}-*.parquet"))
    return flat or sorted((root / split).glob("*.parquet"))

