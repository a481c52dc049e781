-- Only the worker that holds the claim may finish it (a reclaimed request belongs to its new worker).
UPDATE requests SET status = :status, run_id = :run_id, error = :error, finished_at = :now
WHERE request_id = :request_id AND worker = :worker AND status = 'running'
RETURNING request_id
