-- A bundle's questions this warehouse lacks (bundle_question_clashes has refused other content under a
-- known id). Filtering first is cheaper than letting 20k ON CONFLICT checks find what is already there.
WITH
final AS (
    SELECT * FROM read_parquet($file) b
    WHERE NOT EXISTS (SELECT 1 FROM questions q WHERE q.question_id = b.question_id)
)
INSERT INTO questions BY NAME SELECT * FROM final
