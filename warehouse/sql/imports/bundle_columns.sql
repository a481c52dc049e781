-- A bundle's columns that this warehouse's tables cannot take as they are: one a table does not have,
-- one of another type, or one a table needs (NOT NULL, no default) that the file lacks. A column a file
-- lacks but its table can fill (NULL or the default) is fine: the bundle comes from an older schema.
-- JSON columns take VARCHAR too (bundles written through polars hold JSON as text).
WITH
bundle AS (
    SELECT 'runs' AS table_name, column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($runs))
    UNION ALL
    SELECT 'models', column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($models))
    UNION ALL
    SELECT 'model_versions', column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($model_versions))
    UNION ALL
    SELECT 'benchmarks', column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($benchmarks))
    UNION ALL
    SELECT 'questions', column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($questions))
    UNION ALL
    SELECT 'predictions', column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($predictions))
),
target AS (
    SELECT table_name, column_name, data_type, NOT is_nullable AND column_default IS NULL AS required
    FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = 'main'
      AND table_name IN ('runs', 'models', 'model_versions', 'benchmarks', 'questions', 'predictions')
),
final AS (
    SELECT table_name, column_name, b.column_type AS found, t.data_type AS expected
    FROM bundle b FULL JOIN target t USING (table_name, column_name)
    WHERE t.data_type IS NULL
       OR (b.column_type IS NULL AND t.required)
       OR (b.column_type <> t.data_type AND NOT (t.data_type = 'JSON' AND b.column_type = 'VARCHAR'))
)
SELECT * FROM final ORDER BY table_name, column_name
