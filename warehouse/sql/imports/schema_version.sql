-- The warehouse schema version a bundle is written with: the newest migration applied.
WITH
final AS (
    SELECT max(version) AS version FROM schema_migrations
)
SELECT * FROM final
