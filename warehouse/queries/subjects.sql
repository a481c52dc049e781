-- Subjects of the questions of a task group (MedMCQA subject, MMLU subject, MedQA step, ...).
WITH
final AS (
    SELECT q.task, q.subject, count(*) AS n_questions
    FROM questions q
    JOIN benchmarks b ON b.task = q.task
    WHERE b.task_group = $task_group AND q.subject IS NOT NULL
    GROUP BY q.task, q.subject
)
SELECT * FROM final ORDER BY task, subject
