-- Model versions x questions, like promptfoo's comparison view: each leaderboard entry's outcome on each
-- listed question of a task group: 'right', 'wrong', or 'invalid' (no option could be read; it counts as
-- wrong on the leaderboard). No row where the entry did not answer the question.
-- Params: $task_group, $question_ids (the questions the list shows).
WITH
group_tasks AS (
    SELECT task FROM benchmarks WHERE task_group = $task_group
),
answers AS (
    SELECT entry_id, question_id, task, correct, status
    FROM counted_predictions
    WHERE task IN (SELECT task FROM group_tasks) AND list_contains($question_ids, question_id)
),
final AS (
    SELECT entry_id, question_id, task,
           CASE WHEN status = 'invalid' THEN 'invalid' WHEN correct THEN 'right' ELSE 'wrong' END AS outcome
    FROM answers
)
SELECT * FROM final ORDER BY question_id, entry_id
