UPDATE requests SET heartbeat_at = :now
WHERE request_id = :request_id AND worker = :worker AND status = 'running'
RETURNING request_id
