-- One statement, so SQLite's write lock makes it atomic: two workers never get the same request.
-- The oldest pending request, or a running one whose worker stopped renewing its lease.
UPDATE requests
SET status = 'running', worker = :worker, claimed_at = :now, heartbeat_at = :now, attempts = attempts + 1,
    error = NULL, progress_done = NULL, progress_total = NULL
WHERE request_id = (
    SELECT request_id
    FROM requests
    WHERE status = 'pending' OR (status = 'running' AND heartbeat_at < :stale_before)
    ORDER BY submitted_at, request_id
    LIMIT 1
)
RETURNING request_id, model_id, revision, precision, model_type, tasks, notes, attempts
