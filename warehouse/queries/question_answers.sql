-- Every leaderboard entry's counted answer to one question, with its option probabilities.
-- $task is the question's own task. It comes first on purpose: DuckDB applies the scan's filters in the
-- order written, and the task test (a small dictionary) discards 8 rows in 9 before the costlier id test.
WITH
answers AS (
    SELECT entry_id, run_id, pred, pred_set, correct, probs, status, raw_output
    FROM counted_predictions
    WHERE task = $task AND question_id = $question_id
),
final AS (
    SELECT * FROM answers
)
SELECT * FROM final ORDER BY correct DESC, entry_id
