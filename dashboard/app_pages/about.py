"""About: the methodology, generated from the code's registries (dashboard.page_frames.methodology): the
protocol, each dataset's source, split, count and sha256, what each statistic means and when it misleads,
and how to reproduce a row."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboard import data, widgets
from dashboard.page_frames import methodology

ctx = widgets.page_context()

st.title("About: how these numbers are made")
st.caption(
    "Everything on this page is read from the code and the warehouse this dashboard runs on, not typed in: "
    "it changes when they do."
)

st.header("Protocol")
st.markdown(
    "Every task is multiple choice, **zero-shot** unless an entry says otherwise (its **settings**), with the "
    "prompts of lm-evaluation-harness: the model scores each choice string after the prompt (log-likelihood), "
    "and the most likely choice is its answer. Generative entries (API models) write an answer instead, parsed "
    "for a letter; an answer that names none counts as wrong (invalid)."
)
widgets.table(methodology.protocol_table(), "about-prompts", key="about_prompts")
st.caption(
    "The prompt version and hash every run recorded: the hash covers all task templates, the few-shot count "
    "and the delimiters, so two runs with the same hash saw the same prompts."
)
runs = data.runs(ctx.version)
widgets.table(methodology.recorded_prompts(runs), "about-prompt-hashes", key="about_prompt_hashes")

st.header("Datasets")
st.caption(
    "The vendored files the questions come from (pipeline/benchmarks/data/, each with its PROVENANCE.md), "
    "their split, question count after the task's documented exclusions, and sha256. Source text is kept and "
    "shown as the file has it, stray escapes included (MedMCQA's `cow\\'s milk` keeps its backslash): it is "
    "never rewritten, and the pages show it as plain text."
)
widgets.table(methodology.dataset_table(), "about-datasets", key="about_datasets")

st.header("Statistics")
notes = methodology.statistics_notes()
widgets.table(
    pl.DataFrame(notes, schema=["statistic", "what it is", "when it misleads"], orient="row"),
    "about-statistics",
    key="about_statistics",
)

st.header("Reproduce a row")
st.caption(
    "The command that reruns each run in this warehouse, from the settings it recorded (the --model argument "
    "as given). The demo's runs answer a fixed sample of each task: `medlb demo` draws the same one."
)
if runs.is_empty():
    st.info(f"No runs yet. {data.EVAL_HINT}")
else:
    variants = data.entries(ctx.version).select("entry_id", "variant", "revision")
    rows = runs.join(variants, on="entry_id", how="left").to_dicts()
    commands = pl.DataFrame(
        {
            "model": [ctx.labels.get(r["entry_id"], r["model_id"]) for r in rows],
            "run id": [r["run_id"] for r in rows],
            "command": [methodology.reproduce_command(r) for r in rows],
        }
    )
    widgets.table(commands, "about-reproduce", key="about_reproduce")
