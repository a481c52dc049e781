"""Short, distinct display labels (issue 13): on Compare both demo versions of SmolLM2 read
"HuggingFaceTB/SmolLM2-135M-Instruct · GGUF Q4…" before, so a user could not tell A from B."""

from __future__ import annotations

import polars as pl

from dashboard.page_frames.labels import display_labels
from pipeline.demo import DEMO_MODELS, FULL_EXTRA_MODELS
from pipeline.models import PACKAGED
from tests.fixtures.warehouse import ENTRIES
from warehouse import queries
from warehouse.records import version_id_for


def entries_of(rows: list[dict]) -> pl.DataFrame:
    defaults = {"variant": "", "num_fewshot": 0, "scoring_mode": "loglikelihood"}
    rows = [defaults | row for row in rows]
    for row in rows:
        row.setdefault("version_id", version_id_for(row["model_id"], row["revision"], row["variant"]))
        row["entry_id"] = f"{row['version_id']}:{row['num_fewshot']}:{row['scoring_mode']}"
    return pl.DataFrame(rows)


def test_the_demo_models_get_short_distinct_labels():
    rows = []
    for model in DEMO_MODELS + FULL_EXTRA_MODELS:  # what `medlb demo` (--full) records: upstream id, file sha
        packaged = PACKAGED[model.alias]
        rows.append(
            {
                "model_id": packaged.upstream,
                "label": model.label,
                "variant": model.variant,
                "revision": f"sha256:{packaged.sha256}",
            }
        )
    labels = display_labels(entries_of(rows))
    assert list(labels.values()) == [
        "SmolLM2-135M-Instruct",
        "SmolLM2-135M-Instruct · int8-dynamic",
        "gemma-3-270m",
        "Qwen2.5-Coder-1.5B-Instruct",
    ]
    assert all(len(label) <= 40 for label in labels.values())


def test_labels_on_the_fixture(con):
    labels = display_labels(queries.entries(con))
    assert labels[ENTRIES["acme_v1"]] == "med-7b · v1"
    assert labels[ENTRIES["acme_v3_5s"]] == "med-7b · v3 · 5-shot"
    assert labels[ENTRIES["gamma"]] == "gen-api · 2024-05-01 · generative"
    assert len(set(labels.values())) == len(labels)


def test_labels_that_would_read_the_same_get_told_apart():
    base = {"model_id": "org/m", "label": "a long description of how it was made"}
    rows = [
        base | {"revision": "1111111aaaa"},
        base | {"revision": "2222222bbbb"},  # two published files of one model: revisions differ
        {"model_id": "other/m", "label": "v1", "revision": "x"},  # another organisation's "m"
        base | {"revision": "3333333cccc", "num_fewshot": 5},
    ]
    labels = list(display_labels(entries_of(rows)).values())
    assert labels == ["org/m @1111111", "org/m @2222222", "other/m · v1", "org/m · 5-shot"]
    # same revision prefix: the version id settles it
    same = [base | {"revision": "abcdefg-1"}, base | {"revision": "abcdefg-2"}]
    frame = entries_of(same)
    told = list(display_labels(frame).values())
    assert told == [f"m @abcdefg #{v[:8]}" for v in frame["version_id"]]  # no other "m": no organisation
