-- Clinical slices: accuracy per (leaderboard entry, benchmark subject): MedMCQA subject, MMLU subject,
-- MedQA step, HEAD-QA category (questions.subject), for a models x slices heatmap
-- (pipeline.analysis.items.slice_matrix). Invalid answers count as wrong. task_group lets a page keep
-- a group's slices apart (HEAD-QA's Spanish and English tasks share the benchmark and its subjects).
WITH final AS (
    SELECT c.entry_id, c.version_id, v.label, c.num_fewshot, c.scoring_mode, b.task_group, b.benchmark, q.subject,
           b.benchmark || ': ' || q.subject AS slice,
           count(*) AS n, sum(c.correct::INTEGER) AS n_correct, avg(c.correct::DOUBLE) AS accuracy
    FROM counted_predictions c
    JOIN questions q ON q.question_id = c.question_id
    JOIN benchmarks b ON b.task = c.task
    JOIN model_versions v ON v.version_id = c.version_id
    WHERE q.subject IS NOT NULL
    GROUP BY ALL
)
SELECT * FROM final ORDER BY label, entry_id, slice
