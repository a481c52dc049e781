-- Every migration this warehouse records, in order.
WITH
final AS (
    SELECT version, name, checksum
    FROM schema_migrations
)
SELECT * FROM final ORDER BY version
