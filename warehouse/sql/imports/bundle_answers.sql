-- Each distinct answer in a bundle's predictions file (pred, pred_set where the file has it, golds, and the
-- `correct` it claims), how many rows give it, and the first rows (0-based) for error messages. Few
-- distinct answers exist, so pipeline.bundles can score each with the run's own rule.
WITH
answers AS (
    SELECT file_row_number AS row_number, question_id, variant,
           COLUMNS(lambda c: list_contains(['pred', 'pred_set', 'golds', 'correct'], c))
    FROM read_parquet($file, file_row_number = true)
),
final AS (
    SELECT COLUMNS(lambda c: list_contains(['pred', 'pred_set', 'golds', 'correct'], c)),
           count(*) AS n,
           list({'row_number': row_number, 'question_id': question_id, 'variant': variant} ORDER BY row_number)[1:$shown]
               AS examples
    FROM answers
    GROUP BY ALL
)
SELECT * FROM final
