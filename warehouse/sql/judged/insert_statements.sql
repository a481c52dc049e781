-- The registered batch _batch of statements; rows already present are skipped. Returns one row per row added.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO statements BY NAME SELECT * FROM final ON CONFLICT DO NOTHING RETURNING 1
