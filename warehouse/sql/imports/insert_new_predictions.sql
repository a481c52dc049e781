-- The predictions of a run already here: rows present are kept. Returns the number added. Filtering by
-- the run's own rows first is cheaper than letting every row's ON CONFLICT check find what is there.
WITH
here AS (
    SELECT question_id, variant FROM predictions WHERE run_id = $run_id
),
final AS (
    SELECT * FROM read_parquet($file) b
    WHERE NOT EXISTS (SELECT 1 FROM here h WHERE h.question_id = b.question_id AND h.variant = b.variant)
)
INSERT INTO predictions BY NAME SELECT * FROM final
