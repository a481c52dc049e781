-- How many keys ($keys: the table's key columns) a bundle file holds more than once.
WITH
keyed AS (
    SELECT COLUMNS(lambda c: list_contains($keys, c)), count(*) AS copies
    FROM read_parquet($file)
    GROUP BY ALL
),
final AS (
    SELECT count(*) AS repeated FROM keyed WHERE copies > 1
)
SELECT * FROM final
