-- The (question, variant) pairs a run has answered: failed rows do not count, they are retried.
WITH
final AS (
    SELECT question_id, variant FROM predictions WHERE run_id = $run_id AND status <> 'failed'
)
SELECT * FROM final
