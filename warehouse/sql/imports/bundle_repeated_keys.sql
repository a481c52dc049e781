-- The bundle files that hold a key (their table's primary key) more than once, with that key's columns.
WITH
runs_keys AS (
    SELECT 'runs' AS table_name, 'run_id' AS key FROM read_parquet($runs)
    GROUP BY run_id HAVING count(*) > 1
),
models_keys AS (
    SELECT 'models', 'model_id' FROM read_parquet($models)
    GROUP BY model_id HAVING count(*) > 1
),
model_versions_keys AS (
    SELECT 'model_versions', 'version_id' FROM read_parquet($model_versions)
    GROUP BY version_id HAVING count(*) > 1
),
benchmarks_keys AS (
    SELECT 'benchmarks', 'task' FROM read_parquet($benchmarks)
    GROUP BY task HAVING count(*) > 1
),
questions_keys AS (
    SELECT 'questions', 'question_id' FROM read_parquet($questions)
    GROUP BY question_id HAVING count(*) > 1
),
predictions_keys AS (
    SELECT 'predictions', 'run_id, question_id, variant' FROM read_parquet($predictions)
    GROUP BY run_id, question_id, variant HAVING count(*) > 1
),
final AS (
    SELECT * FROM runs_keys
    UNION SELECT * FROM models_keys
    UNION SELECT * FROM model_versions_keys
    UNION SELECT * FROM benchmarks_keys
    UNION SELECT * FROM questions_keys
    UNION SELECT * FROM predictions_keys
)
SELECT * FROM final ORDER BY table_name
