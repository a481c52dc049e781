-- A request for the same model, commit, precision and tasks that is still wanted (pending/running) or done.
WITH same_request AS (
    SELECT request_id, status
    FROM requests
    WHERE model_id = :model_id AND revision = :revision AND precision = :precision AND tasks = :tasks
),
final AS (
    SELECT request_id, status FROM same_request WHERE status IN ('pending', 'running', 'done')
)
SELECT request_id, status FROM final ORDER BY request_id LIMIT 1
