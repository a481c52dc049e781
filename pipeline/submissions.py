"""A leaderboard submission checked before it enters the request store (warehouse/queue.py).

The checks are the ones the Hugging Face leaderboard makes: a valid hub id, a revision pinned to a
commit (a branch or tag is resolved to its commit by asking the hub, so the request names exactly
the weights a worker will evaluate), a known precision and model type, known tasks. Each failure is
an InvalidRequest naming the field, and nothing is stored.

Used by the dashboard's Submit page and by `medlb submit`; it imports no model code.
"""

from __future__ import annotations

import re

from pipeline import benchmarks
from warehouse import queue
from warehouse.errors import MedlbError

PRECISIONS = ("float32", "bfloat16", "float16")
MODEL_TYPES = ("pretrained", "fine-tuned", "instruction-tuned", "RL-tuned")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}")
MAX_NOTES = 2000


class InvalidRequest(MedlbError, ValueError):
    """A submission that cannot be queued; `field` names the form field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def check_model_id(model_id: str) -> str:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    model_id = model_id.strip()
    if "/" not in model_id:
        raise InvalidRequest("model id", f"{model_id!r} is not a hub id; write it as owner/name, e.g. org/model-7b")
    try:
        validate_repo_id(model_id)
    except HFValidationError as exc:
        raise InvalidRequest("model id", f"{model_id!r} is not a valid hub id: {exc}") from None
    return model_id


def resolve_revision(model_id: str, revision: str, endpoint: str | None = None) -> str:
    """`revision` when it is a commit sha; else the commit the hub says the branch or tag points to."""
    revision = revision.strip() or "main"
    if COMMIT_SHA.fullmatch(revision):
        return revision
    from huggingface_hub import HfApi
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    try:
        sha = HfApi(endpoint=endpoint).model_info(model_id, revision=revision, timeout=15).sha
    except RevisionNotFoundError:
        raise InvalidRequest("revision", f"{model_id} has no branch or tag {revision!r} on the hub") from None
    except RepositoryNotFoundError:
        raise InvalidRequest("model id", f"no model {model_id!r} on the hub (or it is private or gated)") from None
    except (
        Exception
    ) as exc:  # unreachable hub (connection, timeout, offline mode), or an answer that is not the hub API
        raise InvalidRequest(
            "revision",
            f"cannot ask the hub which commit {revision!r} is ({type(exc).__name__}: {exc}); "
            "give the full 40-character commit sha instead",
        ) from None
    if not sha or not COMMIT_SHA.fullmatch(sha):
        raise InvalidRequest("revision", f"the hub gave no commit for {model_id}@{revision}; give the commit sha")
    return sha


def check_tasks(tasks: str) -> tuple[str, ...]:
    try:
        names = tuple(benchmarks.resolve_tasks(tasks))
    except benchmarks.UnknownTask as exc:
        raise InvalidRequest("tasks", str(exc)) from None
    open_ended = [name for name in names if benchmarks.get_task(name).open_ended]
    if open_ended:  # a worker runs pipeline.run.evaluate: multiple-choice scoring, no judge to name
        raise InvalidRequest(
            "tasks",
            f"{', '.join(open_ended)} is open-ended and needs a judge: the queue takes multiple-choice tasks; "
            f"run `medlb eval --tasks {','.join(open_ended)} --judge MODEL` yourself",
        )
    return names


def validate(
    model_id: str,
    revision: str,
    precision: str,
    model_type: str,
    tasks: str,
    notes: str = "",
    endpoint: str | None = None,
) -> queue.NewRequest:
    """A request ready for queue.submit, or InvalidRequest for the first field that is wrong."""
    model_id = check_model_id(model_id)
    if precision not in PRECISIONS:
        raise InvalidRequest("precision", f"{precision!r} is not one of {', '.join(PRECISIONS)}")
    if model_type not in MODEL_TYPES:
        raise InvalidRequest("model type", f"{model_type!r} is not one of {', '.join(MODEL_TYPES)}")
    task_names = check_tasks(tasks)
    if len(notes) > MAX_NOTES:
        raise InvalidRequest("notes", f"{len(notes)} characters; keep them under {MAX_NOTES}")
    commit = resolve_revision(model_id, revision, endpoint)  # last: the only check that may ask the network
    return queue.NewRequest(model_id, commit, precision, model_type, task_names, notes.strip())
