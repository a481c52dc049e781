-- 005: which predictions count, written down once as two views that every dashboard query reads.
--
-- A leaderboard *entry* is one model version under one run configuration (num_fewshot, scoring_mode):
-- runs with different shot counts or scoring modes are never averaged together. An entry can have
-- several runs (a rerun, a resume under a new run id, an import next to an evaluation). For each
-- question the entry's answer comes from its best run that answered it, best meaning:
--   1. complete runs before running or failed ones,
--   2. then the latest (finished_at, else started_at),
--   3. then run_id, so ties resolve the same way every time.
-- Only unperturbed predictions count (variant = ''; other variants are robustness/bias probes), and
-- rows whose backend failed (status = 'failed') are not answers: they are skipped, so an older run's
-- answer to that question, if any, counts instead. Invalid answers (status = 'invalid') count as wrong.
-- Views hold no data: every number still comes straight from `predictions`.
-- Filter these views with constants or bind parameters (entry_id = $a, model_id = $m, task = $t): those
-- reach the small `runs` side of the join, and DuckDB then skips non-matching predictions while scanning.
-- A filter that is itself a subquery or a join is applied after the union and costs a full join.

CREATE VIEW entry_runs AS
SELECT
    r.run_id,
    v.model_id,
    r.version_id,
    r.num_fewshot,
    r.scoring_mode,
    r.version_id || ':' || r.num_fewshot || ':' || r.scoring_mode AS entry_id,
    row_number() OVER (
        PARTITION BY r.version_id, r.num_fewshot, r.scoring_mode
        ORDER BY (r.status = 'complete') DESC, coalesce(r.finished_at, r.started_at) DESC, r.run_id
    ) AS run_rank,
    count(*) OVER (PARTITION BY r.version_id, r.num_fewshot, r.scoring_mode) AS runs_in_entry
FROM runs r
JOIN model_versions v ON v.version_id = r.version_id;

-- Two branches instead of one window over every row: most entries have a single run, and those
-- rows need no per-question ranking (a window over millions of rows would cost more than the scan).
CREATE VIEW counted_predictions AS
SELECT
    e.entry_id, e.model_id, e.version_id, e.num_fewshot, e.scoring_mode, e.runs_in_entry, p.run_id,
    p.question_id, p.task, p.pred, p.pred_set, p.golds, p.correct, p.probs, p.status, p.raw_output
FROM predictions p
JOIN entry_runs e ON e.run_id = p.run_id
WHERE e.runs_in_entry = 1 AND p.variant = '' AND p.status <> 'failed'
UNION ALL
SELECT
    e.entry_id, e.model_id, e.version_id, e.num_fewshot, e.scoring_mode, e.runs_in_entry, p.run_id,
    p.question_id, p.task, p.pred, p.pred_set, p.golds, p.correct, p.probs, p.status, p.raw_output
FROM predictions p
JOIN entry_runs e ON e.run_id = p.run_id
WHERE e.runs_in_entry > 1 AND p.variant = '' AND p.status <> 'failed'
-- Partitioned per (entry, question); the other keys are implied by those two and are listed so that
-- filters on them (model, configuration, task) reach the scan below the window instead of after it.
QUALIFY row_number() OVER (
    PARTITION BY e.entry_id, e.model_id, e.version_id, e.num_fewshot, e.scoring_mode, p.task, p.question_id
    ORDER BY e.run_rank
) = 1;
