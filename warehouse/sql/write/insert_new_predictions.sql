-- The registered batch _batch of predictions; rows already present are skipped. Returns the inserted rows'
-- counted columns, so prediction_counts can add them.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO predictions BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
RETURNING run_id, task, variant, status, correct
