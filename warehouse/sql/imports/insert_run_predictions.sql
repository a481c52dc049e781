-- The predictions of a run new to this warehouse: none can be here yet, so no ON CONFLICT (1.6x slower
-- measured); a stray row would still be caught by the primary key, and the bundle refused.
WITH
final AS (
    SELECT * FROM read_parquet($file)
)
INSERT INTO predictions BY NAME SELECT * FROM final
