-- A model's versions in order (release date, else the first run of the configuration) with their
-- per-task accuracy under one run configuration (num_fewshot, scoring_mode) on a task group.
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
versions AS (
    SELECT e.version_id, e.entry_id, any_value(v.label) AS label, any_value(v.released_at) AS released_at,
           min(r.started_at) AS first_run_at
    FROM entry_runs e
    JOIN runs r ON r.run_id = e.run_id
    JOIN model_versions v ON v.version_id = e.version_id
    WHERE e.model_id = $model_id AND e.num_fewshot = $num_fewshot AND e.scoring_mode = $scoring_mode
    GROUP BY e.version_id, e.entry_id
),
ordered AS (
    SELECT *, row_number() OVER (ORDER BY coalesce(released_at, first_run_at), first_run_at, version_id) AS position
    FROM versions
),
cells AS (
    SELECT entry_id, task, count(*) AS n, count(*) FILTER (WHERE correct) AS n_correct
    FROM counted_predictions
    WHERE model_id = $model_id AND num_fewshot = $num_fewshot AND scoring_mode = $scoring_mode
    GROUP BY entry_id, task
),
final AS (
    SELECT o.position, o.entry_id, o.version_id, o.label, o.released_at, o.first_run_at,
           c.task, c.n, c.n_correct, c.n_correct / c.n AS acc
    FROM ordered o
    JOIN cells c ON c.entry_id = o.entry_id
    WHERE c.task IN (SELECT task FROM group_tasks)  -- after aggregating, not inside the scan
)
SELECT * FROM final ORDER BY position, task
