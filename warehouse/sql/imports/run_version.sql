-- The model version of a run, when the run exists.
WITH
final AS (
    SELECT version_id FROM runs WHERE run_id = $run_id
)
SELECT * FROM final
