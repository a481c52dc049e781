-- A bundle's runs.parquet: the one run.
COPY (
    WITH
    final AS (
        SELECT * FROM runs WHERE run_id = $run_id
    )
    SELECT * FROM final
) TO $file (FORMAT parquet, COMPRESSION zstd)
