-- A bundle's models.parquet: the model of the run's version.
COPY (
    WITH
    run AS (
        SELECT version_id FROM runs WHERE run_id = $run_id
    ),
    version AS (
        SELECT model_id FROM model_versions WHERE version_id IN (SELECT version_id FROM run)
    ),
    final AS (
        SELECT * FROM models WHERE model_id IN (SELECT model_id FROM version)
    )
    SELECT * FROM final
) TO $file (FORMAT parquet, COMPRESSION zstd)
