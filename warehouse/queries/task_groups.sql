-- Task groups from the benchmarks table (omll = the nine of the Open Medical-LLM Leaderboard) with
-- their tasks and sizes, in a stable order: omll first.
WITH
final AS (
    SELECT task_group, count(*) AS n_tasks, sum(n_questions) AS n_questions, list(task ORDER BY task) AS tasks
    FROM benchmarks
    GROUP BY task_group
)
SELECT * FROM final ORDER BY task_group <> 'omll', task_group
