-- The questions a generation run has answered: failed rows do not count, they are retried.
WITH
final AS (
    SELECT question_id FROM generations WHERE run_id = $run_id AND status <> 'failed'
)
SELECT * FROM final
