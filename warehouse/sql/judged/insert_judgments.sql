-- The registered batch _batch of judgments; rows already present are skipped. Returns one row per row added.
WITH
final AS (
    SELECT * FROM _batch
)
INSERT INTO judgments BY NAME SELECT * FROM final ON CONFLICT DO NOTHING RETURNING 1
