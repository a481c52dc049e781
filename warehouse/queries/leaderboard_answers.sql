-- Every counted answer of every entry on a task group's tasks, right or wrong: what the leaderboard's
-- paired tie tests between neighbouring rows read (dashboard.page_frames.accuracy.mark_ties). Which
-- predictions count is migration 005's rule (counted_predictions), as for the leaderboard cells.
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
final AS (
    SELECT c.entry_id, c.task, c.question_id, c.correct
    FROM counted_predictions c
    WHERE c.task IN (SELECT task FROM group_tasks)
)
SELECT * FROM final ORDER BY entry_id, task, question_id
