-- A bundle's run, new to this warehouse.
WITH
final AS (
    SELECT * FROM read_parquet($file)
)
INSERT INTO runs BY NAME SELECT * FROM final
