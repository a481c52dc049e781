-- A bundle file's columns that this warehouse's table cannot take as they are: one it does not have,
-- one of another type, or one it needs (NOT NULL, no default) that the file lacks. A column the file
-- lacks but the table can fill (NULL or its default) is fine: the bundle comes from an older schema.
-- JSON columns take VARCHAR too (bundles written through polars hold JSON as text).
WITH
bundle AS (
    SELECT column_name, column_type AS found FROM (DESCRIBE SELECT * FROM read_parquet($file))
),
target AS (
    SELECT column_name, data_type AS expected, NOT is_nullable AND column_default IS NULL AS required
    FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $table
),
final AS (
    SELECT column_name, found, expected
    FROM bundle FULL JOIN target USING (column_name)
    WHERE expected IS NULL
       OR (found IS NULL AND required)
       OR (found <> expected AND NOT (expected = 'JSON' AND found = 'VARCHAR'))
)
SELECT * FROM final ORDER BY column_name
