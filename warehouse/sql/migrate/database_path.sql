-- The file this connection has open, for error messages.
WITH
final AS (
    SELECT path
    FROM duckdb_databases()
    WHERE database_name = current_database()
)
SELECT * FROM final
