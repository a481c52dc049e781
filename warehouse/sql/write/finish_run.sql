-- A run stops: its status, end time, time spent added to earlier invocations', and its prediction count.
UPDATE runs
SET status = $status,
    finished_at = $finished_at,
    seconds = coalesce(seconds, 0) + coalesce($seconds, 0),
    n_predictions = (SELECT count(*) FROM predictions WHERE run_id = $run_id)
WHERE run_id = $run_id
