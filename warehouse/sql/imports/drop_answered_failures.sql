-- The run's failed rows that the bundle answers (a retry done elsewhere) give way to the answers.
DELETE FROM predictions p
USING (SELECT question_id, variant FROM read_parquet($file) WHERE status <> 'failed') AS answered
WHERE p.run_id = $run_id
  AND p.status = 'failed'
  AND p.question_id = answered.question_id
  AND p.variant = answered.variant
