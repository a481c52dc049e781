-- The registered batch _batch of predictions; a row already present makes the primary key refuse the batch.
-- Returns the inserted rows' counted columns, so prediction_counts can add them.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO predictions BY NAME SELECT * FROM final RETURNING run_id, task, variant, status, correct
