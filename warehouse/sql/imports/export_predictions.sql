-- A bundle's predictions.parquet: the run's predictions, by question and variant.
COPY (
    WITH
    final AS (
        SELECT * FROM predictions WHERE run_id = $run_id
    )
    SELECT * FROM final ORDER BY question_id, variant
) TO $file (FORMAT parquet, COMPRESSION zstd)
