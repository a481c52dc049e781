-- Between consecutive versions of a model (same order as history.sql), per task: how many questions
-- answered by both were fixed (wrong -> right), broken (right -> wrong), still wrong and still right:
-- the cells of the flip_kind macro (migration 007; pipeline.metrics.FLIP_CELLS in Python).
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
versions AS (
    SELECT e.entry_id, any_value(v.released_at) AS released_at, min(r.started_at) AS first_run_at,
           any_value(e.version_id) AS version_id
    FROM entry_runs e
    JOIN runs r ON r.run_id = e.run_id
    JOIN model_versions v ON v.version_id = e.version_id
    WHERE e.model_id = $model_id AND e.num_fewshot = $num_fewshot AND e.scoring_mode = $scoring_mode
    GROUP BY e.entry_id
),
ordered AS (
    SELECT entry_id, row_number() OVER (ORDER BY coalesce(released_at, first_run_at), first_run_at, version_id) AS position
    FROM versions
),
answers AS (
    SELECT o.position, c.question_id, c.task, c.correct
    FROM counted_predictions c
    JOIN ordered o ON o.entry_id = c.entry_id
    WHERE c.model_id = $model_id AND c.num_fewshot = $num_fewshot AND c.scoring_mode = $scoring_mode
),
transitions AS (
    SELECT before.position AS from_position, before.task, before.correct AS was_correct, after.correct AS is_correct
    FROM answers before
    JOIN answers after ON after.question_id = before.question_id AND after.position = before.position + 1
),
final AS (
    SELECT
        from_position,
        from_position + 1 AS to_position,
        task,
        count(*) FILTER (WHERE flip_kind(was_correct, is_correct) = 'fixed') AS fixed,
        count(*) FILTER (WHERE flip_kind(was_correct, is_correct) = 'broken') AS broken,
        count(*) FILTER (WHERE flip_kind(was_correct, is_correct) = 'still_wrong') AS still_wrong,
        count(*) FILTER (WHERE flip_kind(was_correct, is_correct) = 'still_right') AS still_right
    FROM transitions
    WHERE task IN (SELECT task FROM group_tasks)  -- after the scan, not inside it
    GROUP BY from_position, task
)
SELECT * FROM final ORDER BY from_position, task
