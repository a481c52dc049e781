-- Every request, newest first, for the dashboard's queue and `medlb worker`'s log.
WITH final AS (
    SELECT request_id, status, model_id, revision, precision, model_type, tasks, notes, submitted_at,
           worker, claimed_at, heartbeat_at, progress_done, progress_total, attempts, finished_at, run_id, error
    FROM requests
)
SELECT * FROM final ORDER BY request_id DESC
