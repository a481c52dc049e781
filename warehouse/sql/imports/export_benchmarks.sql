-- A bundle's benchmarks.parquet: the tasks the run lists and those it has predictions for, by task.
COPY (
    WITH
    used_tasks AS (
        SELECT unnest(tasks) AS task FROM runs WHERE run_id = $run_id
        UNION
        SELECT task FROM predictions WHERE run_id = $run_id
    ),
    final AS (
        SELECT * FROM benchmarks WHERE task IN (SELECT task FROM used_tasks)
    )
    SELECT * FROM final ORDER BY task
) TO $file (FORMAT parquet, COMPRESSION zstd)
