-- Whether each unperturbed question of a run was answered right, to print the run's accuracy.
WITH
final AS (
    SELECT task, question_id, correct
    FROM predictions
    WHERE run_id = $run_id AND variant = ''
)
SELECT * FROM final
