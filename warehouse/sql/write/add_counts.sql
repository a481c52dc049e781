-- Add ($sign = 1) or subtract ($sign = -1) the registered rows _changed (run_id, task, variant, status,
-- correct) to the per-run cache of migration 006.
WITH
final AS (
    SELECT run_id, task, variant, status, $sign * count(*) AS n, $sign * count(*) FILTER (WHERE correct) AS n_correct
    FROM _changed
    GROUP BY run_id, task, variant, status
)
INSERT INTO prediction_counts SELECT * FROM final
ON CONFLICT DO UPDATE SET n = n + excluded.n, n_correct = n_correct + excluded.n_correct
