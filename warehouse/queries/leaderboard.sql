-- Leaderboard cells: one row per (entry, task) of a task group, where an entry is one model version
-- under one run configuration (num_fewshot, scoring_mode). Which predictions count is the rule written
-- in migration 005 (counted_predictions): variant '' only, failed rows skipped, and for an entry with
-- several runs each question's answer comes from its best run (complete first, then latest).
-- Shaped for speed on millions of rows: single-run entries (the common case) are read from
-- prediction_counts (migration 006: per-run counts of `predictions` that warehouse.writer keeps in the
-- same transaction as each write). For them it equals the view exactly: the view keeps every unperturbed,
-- not-failed row of the entry's only run. Entries with several runs go through the view, whose
-- per-question best-run rule no per-run count can express (tests/warehouse/test_prediction_counts.py).
-- The task group is applied after aggregating: a semi-join inside the scan would test every row.
-- stderr is migration 007's acc_stderr (the sample standard error lm-evaluation-harness reports); the 95%
-- interval of each cell is Wilson's, computed from n and n_correct in Python with scipy (migration 009).
WITH
group_tasks AS (
    SELECT task, n_questions
    FROM benchmarks
    WHERE task_group = $task_group
),
per_run AS (
    SELECT c.run_id, c.task, sum(c.n)::BIGINT AS n, sum(c.n_correct)::BIGINT AS n_correct
    FROM prediction_counts c
    WHERE c.variant = '' AND c.status <> 'failed'
    GROUP BY c.run_id, c.task
    HAVING sum(c.n) > 0  -- rows whose predictions were all deleted again
),
single_run_cells AS (
    SELECT e.entry_id, r.task, r.n, r.n_correct
    FROM per_run r
    JOIN entry_runs e ON e.run_id = r.run_id
    WHERE e.runs_in_entry = 1
),
multi_run_cells AS (
    SELECT c.entry_id, c.task, count(*) AS n, count(*) FILTER (WHERE c.correct) AS n_correct
    FROM counted_predictions c
    WHERE c.runs_in_entry > 1
    GROUP BY c.entry_id, c.task
),
cells AS (
    SELECT entry_id, task, n, n_correct, n_correct / n AS acc FROM single_run_cells
    UNION ALL
    SELECT entry_id, task, n, n_correct, n_correct / n AS acc FROM multi_run_cells
),
final AS (
    SELECT c.entry_id, c.task, g.n_questions AS task_questions, c.n, c.n_correct, c.acc,
           acc_stderr(c.n_correct, c.n) AS stderr
    FROM cells c
    JOIN group_tasks g ON g.task = c.task
)
SELECT * FROM final ORDER BY entry_id, task
