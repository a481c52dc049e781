-- The (statement, relation) pairs a judge has judged for a run: failed rows do not count, they are retried.
WITH
final AS (
    SELECT statement_id, relation FROM judgments
    WHERE judge_id = $judge_id AND run_id = $run_id AND verdict <> 'failed'
)
SELECT * FROM final
