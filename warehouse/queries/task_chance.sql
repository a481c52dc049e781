-- Chance level per task of a task group: the accuracy a blind guess gets on average over the task's
-- questions. A single-answer question with k options is right by chance with probability 1/k (25% for four
-- options, 33.3% for PubMedQA's yes/no/maybe). A multi-answer question (metric 'emr': FrenchMedMCQA, scored
-- as the exact set of correct options) is right only when the whole set is guessed: one of the 2^k - 1
-- non-empty sets of its k options, 1/31 = 3.2% for five.
WITH
group_tasks AS (
    SELECT task, metric
    FROM benchmarks
    WHERE task_group = $task_group
),
per_question AS (
    SELECT q.task,
           CASE WHEN g.metric = 'emr' THEN 1.0 / (2 ** len(q.options) - 1) ELSE 1.0 / len(q.options) END AS chance
    FROM questions q
    JOIN group_tasks g ON g.task = q.task
    WHERE len(q.options) > 0
),
final AS (
    SELECT task, avg(chance) AS chance, count(*) AS n_questions
    FROM per_question
    GROUP BY task
)
SELECT * FROM final ORDER BY task
