INSERT INTO requests (model_id, revision, precision, model_type, tasks, notes, submitted_at)
VALUES (:model_id, :revision, :precision, :model_type, :tasks, :notes, :submitted_at)
RETURNING request_id
