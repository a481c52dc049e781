-- A bundle's questions.parquet: every question the run has a prediction for, by id.
COPY (
    WITH
    answered AS (
        SELECT question_id FROM predictions WHERE run_id = $run_id
    ),
    final AS (
        SELECT * FROM questions WHERE question_id IN (SELECT question_id FROM answered)
    )
    SELECT * FROM final ORDER BY question_id
) TO $file (FORMAT parquet, COMPRESSION zstd)
