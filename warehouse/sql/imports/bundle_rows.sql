-- How many rows each of a bundle's Parquet files holds (read from the footers; fails on a file that is not
-- Parquet, naming it).
WITH
final AS (
    SELECT file_name, num_rows FROM parquet_file_metadata($files)
)
SELECT * FROM final
