-- A task's questions with their subject (K-QA: the ICD-10 diagnosis, ICD_10_diag; NULL where none).
WITH
final AS (
    SELECT question_id, subject FROM questions WHERE task = $task
)
SELECT * FROM final ORDER BY question_id
