-- The registered batch _batch of generations; rows already present are skipped. Returns one row per row added.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO generations BY NAME SELECT * FROM final ON CONFLICT DO NOTHING RETURNING 1
