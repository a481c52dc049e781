-- One pending request by id, now running under :worker (`medlb demo` records its own run this way).
UPDATE requests
SET status = 'running', worker = :worker, claimed_at = :now, heartbeat_at = :now, attempts = attempts + 1,
    error = NULL, progress_done = NULL, progress_total = NULL
WHERE request_id = :request_id AND status = 'pending'
RETURNING request_id, model_id, revision, precision, model_type, tasks, notes, attempts
