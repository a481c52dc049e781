"""K-QA generation and judging on Ray against a local run, on the real SmolLM2-135M-Instruct and the session's
Ray instance (2 CPUs, 2 actors of 1 CPU): the same answers and verdicts under the same run and judge ids, a
lost actor's answers generated again elsewhere, a rerun adding nothing, failures recorded for a rerun to retry.

The two questions have one Must_have statement each (4 pairs to judge). Generation uses batch size 1 both
ways (2 units, one per actor) and judging batch size 2 (2 units); the local reference uses one backend of
batch size 2, which generates one question at a time here (generate_answers' batches of 1) as the actors do.
"""

from __future__ import annotations

import os
import signal
from functools import partial

import pytest

from pipeline import cli
from pipeline.backends import create_backend
from pipeline.distributed import ray_judge, work
from pipeline.generation import Sampling, generate_answers
from pipeline.judging.judge import Judge, judge_pairs, judge_run, judge_set_pairs, register
from pipeline.run import EvalConfig
from tests.helpers import query
from warehouse import judged
from warehouse.records import ModelInfo

MODEL = "smollm2-135m-instruct"
SHORT = ("kqa/107", "kqa/42")
SAMPLING = Sampling(max_new_tokens=6)
GENERATIONS = (
    "SELECT question_id, run_id, messages, prompt, prompt_hash, sampling, output, status, finish_reason, "
    "input_tokens, output_tokens FROM generations ORDER BY question_id"
)
JUDGMENTS = (
    "SELECT judge_id, run_id, question_id, statement_id, relation, verdict, prompt_hash, rationale, probability "
    "FROM judgments ORDER BY statement_id, relation"
)


def config(path) -> EvalConfig:
    return EvalConfig(model=MODEL, tasks=["kqa"], warehouse=str(path), question_ids=SHORT, batch_size=1)


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """A single-process run: SmolLM2 answers, then judges its answers by log-likelihood."""
    path = tmp_path_factory.mktemp("local") / "w.duckdb"
    backend = create_backend("transformers", model=MODEL, batch_size=2)
    result = generate_answers(config(path), SAMPLING, backend=backend, progress_bar=False)
    judge = Judge(backend, "loglikelihood")
    assert judge_run(path, judge, result.run_id, batch_size=2, progress=False) == (4, 0)
    yield {
        "backend": backend,
        "run_id": result.run_id,
        "generations": query(path, GENERATIONS),
        "judgments": query(path, JUDGMENTS),
    }
    backend.close()


@pytest.fixture(scope="module")
def ray_judge_pool(ray_cluster):
    """Two actors of SmolLM2, made as `medlb judge --judge-batch-size 2 --ray` makes them; the same pool
    generates (its batch size of 2 is moot for units of one question) so that the module starts one pool."""
    judge = ray_judge("transformers", {"model": MODEL, "batch_size": 2}, "auto", ray_cluster, actors=2)
    yield judge
    judge.backend.close()


@pytest.mark.slow
def test_generation_and_judging_on_ray_match_the_local_run(ray_judge_pool, local, tmp_path):
    path, judge, pool = tmp_path / "ray.duckdb", ray_judge_pool, ray_judge_pool.backend
    result = generate_answers(
        config(path), SAMPLING, backend=pool, progress_bar=False, generate_all=partial(work.generate_all, pool)
    )
    assert (result.run_id, result.n_generated, result.n_failed) == (local["run_id"], 2, 0)
    assert [s.units for s in pool.stats] == [1, 1]  # one question each
    assert query(path, GENERATIONS) == local["generations"]  # the same texts, prompts and token counts
    assert judge.mode == "loglikelihood"  # "auto" on a backend with log-likelihoods
    assert judge_run(path, judge, result.run_id, batch_size=2, progress=False) == (4, 0)
    want, got = local["judgments"], query(path, JUDGMENTS)
    assert len(got) == len(want) == 4
    for g, w in zip(got, want):
        assert g[:8] == w[:8]  # judge id, pair, verdict, prompt
        assert g[8] == pytest.approx(w[8], abs=1e-4)
    # One run and one judge wherever they ran: a rerun, local or on Ray, finds everything done.
    again = generate_answers(config(path), SAMPLING, backend=local["backend"], progress_bar=False)
    assert (again.n_generated, again.n_skipped) == (0, 2)
    assert judge_run(path, Judge(local["backend"], "loglikelihood"), result.run_id, progress=False) == (0, 4)
    assert judge_run(path, judge, result.run_id, batch_size=2, progress=False) == (0, 4)
    assert query(path, "SELECT count(*) FROM judgments")[0][0] == 4


@pytest.mark.slow
def test_a_lost_actors_answers_are_generated_elsewhere_and_a_rerun_adds_nothing(
    ray_judge_pool, local, tmp_path, capsys
):
    path, pool = tmp_path / "ray.duckdb", ray_judge_pool.backend
    loop = partial(work.generate_all, pool)
    done_before = pool.stats[0].done
    # Actor 1 dies holding its unit: the dispatcher gives the second unit to it (the first went to actor 0).
    os.kill(pool.stats[1].pid, signal.SIGKILL)
    result = generate_answers(config(path), SAMPLING, backend=pool, progress_bar=False, generate_all=loop)
    assert (result.n_generated, result.n_failed) == (2, 0)
    assert not pool.stats[1].alive and pool.stats[0].done == done_before + 2
    assert "failed on actor 1" in capsys.readouterr().err
    assert query(path, GENERATIONS) == local["generations"]
    rerun = generate_answers(config(path), SAMPLING, backend=pool, progress_bar=False, generate_all=loop)
    assert (rerun.n_generated, rerun.n_skipped, pool.stats[0].done) == (0, 2, done_before + 2)
    assert query(path, "SELECT count(*), count(DISTINCT question_id) FROM generations")[0] == (2, 2)
    assert query(path, "SELECT status FROM runs") == [("complete",)]


def test_ray_refuses_server_judges_and_backends_before_starting(tmp_path, capsys):
    """The CLI's --ray reaches generation and judging: a server backend is refused before Ray or a write."""
    path = str(tmp_path / "w.duckdb")
    judge = ["judge", "--run", "r", "--judge", "gpt", "--judge-backend", "openai", "--ray", "--warehouse", path]
    assert cli.main(judge) == 2
    ev = ["eval", "--model", MODEL, "--tasks", "kqa", "--limit", "1", "--judge", "gpt", "--judge-backend", "openai"]
    assert cli.main([*ev, "--ray", "--warehouse", path]) == 2
    assert (
        cli.main(["eval", "--model", "gpt", "--backend", "openai", "--tasks", "kqa", "--ray", "--warehouse", path]) == 2
    )
    assert capsys.readouterr().err.count("Drop --ray") == 3
    assert not (tmp_path / "w.duckdb").exists()


class FailingPool:
    """Plumbing only: a pool whose every unit failed on every try, as RayPool.run then hands them on."""

    actors = (None, None)
    reason = "RayActorError: the actor died unexpectedly"

    def run(self, work, units) -> None:
        for unit in units:
            work.write(work.failed(unit, self.reason))


class Described:
    """What the driver knows of a backend that lives in actors: its identity."""

    info = ModelInfo("HuggingFaceTB/SmolLM2-135M-Instruct", "0" * 64)
    scoring_mode = "loglikelihood"


def test_units_that_failed_every_try_are_recorded_as_failures_and_retried_by_a_rerun(tmp_path):
    path = tmp_path / "w.duckdb"
    loop = partial(work.generate_all, FailingPool())
    result = generate_answers(config(path), SAMPLING, backend=Described(), progress_bar=False, generate_all=loop)
    assert (result.n_generated, result.n_failed) == (2, 2)
    rows = query(path, "SELECT question_id, status, output, messages FROM generations ORDER BY question_id")
    assert [r[:3] for r in rows] == [(q, "failed", f"ray: {FailingPool.reason}") for q in SHORT]
    assert all('"role": "user"' in r[3] for r in rows)  # the messages that were to be sent, as a local failure
    assert query(path, "SELECT status FROM runs") == [("failed",)]
    rerun = generate_answers(config(path), SAMPLING, backend=Described(), progress_bar=False, generate_all=loop)
    assert (rerun.n_generated, rerun.n_skipped) == (2, 0)  # retried, and still one row per question
    assert query(path, "SELECT count(*) FROM generations")[0][0] == 2

    judge = Judge(Described(), "loglikelihood", judge_all=partial(work.judge_all, FailingPool()))
    register(path, judge)
    pairs = judge_set_pairs(limit=1)
    assert judge_pairs(path, judge, judged.JUDGE_SET_RUN, pairs, progress=False) == (2, 0)
    verdicts = query(path, "SELECT verdict, probability, rationale FROM judgments")
    assert verdicts == [("failed", None, f"ray: {FailingPool.reason}")] * 2
    assert judge_pairs(path, judge, judged.JUDGE_SET_RUN, pairs, progress=False) == (2, 0)  # retried
    assert query(path, "SELECT count(*) FROM judgments")[0][0] == 2
