-- A bundle's questions whose id is in this warehouse with other content (another version of the data).
WITH
bundle AS (
    SELECT question_id, content_hash FROM read_parquet($file)
),
final AS (
    SELECT b.question_id
    FROM bundle b
    JOIN questions q USING (question_id)
    WHERE q.content_hash IS DISTINCT FROM b.content_hash
)
SELECT * FROM final ORDER BY question_id
