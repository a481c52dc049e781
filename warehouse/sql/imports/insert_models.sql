-- A bundle's models rows; those already here are kept as they are. Returns the number added.
WITH
final AS (
    SELECT * FROM read_parquet($file)
)
INSERT INTO models BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
