-- How many of a generation run's answers failed (and wait for a rerun to retry them).
WITH
final AS (
    SELECT count(*) AS n FROM generations WHERE run_id = $run_id AND status = 'failed'
)
SELECT n FROM final
