-- The task list of a run, when the run exists.
WITH
final AS (
    SELECT tasks FROM runs WHERE run_id = $run_id
)
SELECT * FROM final
