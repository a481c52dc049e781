"""Submit: queue a model for evaluation by `medlb worker`, and see the queue (pending, running, done, failed).

Requests go to the request store (MEDLB_QUEUE), never the warehouse, which the dashboard only reads.
What users typed is shown as text: in tables, st.text, or escaped with widgets.md.
"""

from __future__ import annotations

import time

import polars as pl
import streamlit as st

from dashboard import queue_data, widgets
from pipeline.benchmarks import TASK_GROUPS, TASKS
from pipeline.submissions import MODEL_TYPES, PRECISIONS, InvalidRequest, validate
from warehouse import queue

path = queue_data.store_path()
st.title("Submit a model")
st.caption(
    "A worker (`medlb worker`) evaluates requests oldest first into the warehouse. The revision is pinned to a "
    "commit: give the 40-character sha, or a branch or tag that is resolved on the Hugging Face hub now. "
    f"Requests are stored in {widgets.md(path)}."
)

with st.form("submit_form"):
    model_id = st.text_input("Model id", placeholder="owner/name", key="submit_model")
    revision = st.text_input("Revision", value="main", key="submit_revision", help="commit sha, branch or tag")
    left, right = st.columns(2)
    precision = left.selectbox("Precision", PRECISIONS, key="submit_precision")
    model_type = right.selectbox("Model type", MODEL_TYPES, key="submit_type")
    # Workers score multiple-choice tasks; open-ended ones need a judge (pipeline.submissions.check_tasks).
    choices = [g for g, names in TASK_GROUPS.items() if not any(TASKS[n].open_ended for n in names)]
    choices += [name for name, task in TASKS.items() if not task.open_ended]
    tasks = st.multiselect("Tasks", choices, default=["omll"], key="submit_tasks")
    notes = st.text_area("Notes (optional)", key="submit_notes")
    sent = st.form_submit_button("Submit", icon=":material/send:")

if sent:
    try:
        request = validate(model_id, revision, precision, model_type, ",".join(tasks), notes)
    except InvalidRequest as exc:
        st.error(f"Not queued. {widgets.md(exc)}", icon=":material/error:")
    else:
        request_id, existing = queue.submit(request, path)
        queue_data.requests.clear()
        if existing:
            st.warning(
                f"Not queued: the same model, commit, precision and tasks are already {existing} as "
                f"[request {request_id}](?request={request_id}).",
                icon=":material/content_copy:",
            )
        else:
            st.success(f"Queued as [request {request_id}](?request={request_id}).", icon=":material/check:")

requests = queue_data.requests(path)
st.subheader("Queue")
counts = {status: 0 for status in queue.STATUSES}
if not requests.is_empty():
    counts.update(dict(requests.group_by("status").len().iter_rows()))
for column, status in zip(st.columns(len(queue.STATUSES)), queue.STATUSES):
    column.metric(status, counts[status])

chosen = st.query_params.get("request")
if chosen and chosen.isdigit() and not requests.is_empty():
    row = requests.filter(pl.col("request_id") == int(chosen))
    if not row.is_empty():
        entry = row.row(0, named=True)
        st.markdown(f"**Request {entry['request_id']}: {widgets.md(queue_data.describe_status(entry))}**")
        st.text(f"{entry['model_id']} @ {entry['revision']} ({entry['precision']}, {entry['model_type']})")
        st.text(f"tasks: {entry['tasks']}")
        if entry["notes"]:
            st.text(f"notes: {entry['notes']}")
        if entry["run_id"]:
            st.text(f"run: {entry['run_id']} (see the Runs page)")
        if entry["error"]:
            st.text(f"failed: {entry['error']}")

if requests.is_empty():
    st.info("No requests yet.")
else:
    now = time.time()
    shown = requests.select(
        pl.col("request_id").alias("request"),
        queue_data.status_text().alias("status"),
        pl.col("model_id").alias("model"),
        pl.col("revision").str.slice(0, 12).alias("commit"),
        "precision",
        pl.col("model_type").alias("type"),
        "tasks",
        "notes",
        pl.from_epoch(pl.col("submitted_at").cast(pl.Float64) * 1000, time_unit="ms").alias("submitted"),
        "worker",
        pl.when(pl.col("status") == "running")
        .then((now - pl.col("heartbeat_at").cast(pl.Float64)).round(0))
        .alias("heartbeat (s ago)"),
        "attempts",
        pl.col("run_id").alias("run id"),
        pl.col("error").alias("reason"),
    )
    widgets.table(shown, "requests", key="submit_queue")
