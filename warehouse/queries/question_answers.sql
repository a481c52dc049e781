-- Every leaderboard entry's counted answer to one question, with its option probabilities.
-- $task is the question's own task: it lets the scan skip other tasks' rows before comparing ids.
WITH
answers AS (
    SELECT entry_id, run_id, pred, pred_set, correct, probs, status, raw_output
    FROM counted_predictions
    WHERE question_id = $question_id AND task = $task
),
final AS (
    SELECT * FROM answers
)
SELECT * FROM final ORDER BY correct DESC, entry_id
