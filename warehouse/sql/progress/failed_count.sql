-- How many of a run's predictions failed (and wait for a retry).
WITH
final AS (
    SELECT count(*) AS failed FROM predictions WHERE run_id = $run_id AND status = 'failed'
)
SELECT * FROM final
