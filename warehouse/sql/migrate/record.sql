-- Record one migration as applied (in the transaction that applied it).
WITH
final AS (
    SELECT $version::INTEGER AS version, $name::VARCHAR AS name, $checksum::VARCHAR AS checksum
)
INSERT INTO schema_migrations (version, name, checksum) SELECT version, name, checksum FROM final
