-- A bundle's model_versions.parquet: the run's model version.
COPY (
    WITH
    run AS (
        SELECT version_id FROM runs WHERE run_id = $run_id
    ),
    final AS (
        SELECT * FROM model_versions WHERE version_id IN (SELECT version_id FROM run)
    )
    SELECT * FROM final
) TO $file (FORMAT parquet, COMPRESSION zstd)
