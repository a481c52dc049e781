-- How many rows a bundle's Parquet file holds (read from its footer; fails on a file that is not Parquet).
WITH
final AS (
    SELECT count(*) AS n FROM read_parquet($file)
)
SELECT * FROM final
