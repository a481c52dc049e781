-- The registered batch _batch of questions; ids already present are skipped. Returns the rows added.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO questions BY NAME SELECT * FROM final ON CONFLICT DO NOTHING RETURNING question_id
