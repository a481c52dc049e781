-- Count these runs' predictions afresh into the cache of migration 006.
WITH
final AS (
    SELECT run_id, task, variant, status, count(*) AS n, count(*) FILTER (WHERE correct) AS n_correct
    FROM predictions
    WHERE list_contains($runs, run_id)
    GROUP BY run_id, task, variant, status
)
INSERT INTO prediction_counts SELECT * FROM final
