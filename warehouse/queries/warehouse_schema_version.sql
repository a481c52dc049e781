-- The newest migration applied, read before any other page query: an older file is refused by name, not by a
-- catalog error from a table a later migration adds.
WITH
final AS (
    SELECT max(version) AS schema_version FROM schema_migrations
)
SELECT * FROM final
