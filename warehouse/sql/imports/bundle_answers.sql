-- What decides each prediction's correctness in a bundle file, with its row (0-based) for error messages.
-- pred_set is taken where the file has it (a bundle from before migration 002 does not).
WITH
final AS (
    SELECT file_row_number AS row_number,
           COLUMNS(lambda c: list_contains(['question_id', 'variant', 'pred', 'pred_set', 'golds', 'correct'], c))
    FROM read_parquet($file, file_row_number = true)
)
SELECT * FROM final ORDER BY row_number
