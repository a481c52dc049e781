-- The tasks of a task group as the benchmarks table records them.
WITH
final AS (
    SELECT task, benchmark, split, language, metric, n_questions, source
    FROM benchmarks
    WHERE task_group = $task_group
)
SELECT * FROM final ORDER BY task
