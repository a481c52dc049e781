-- The predictions of a run already here: rows present are kept. Returns the number added.
WITH
final AS (
    SELECT * FROM read_parquet($file)
)
INSERT INTO predictions BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
