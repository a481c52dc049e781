-- Whether a run known only by its scores (migration 010) is already here: an import adds it once.
WITH
final AS (
    SELECT run_id FROM summary_runs WHERE run_id = $run_id
)
SELECT * FROM final
