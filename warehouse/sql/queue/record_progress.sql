-- Questions written of the run's total, from the worker that holds the claim; progress is a heartbeat too.
UPDATE requests SET progress_done = :done, progress_total = :total, heartbeat_at = :now
WHERE request_id = :request_id AND worker = :worker AND status = 'running'
RETURNING request_id
