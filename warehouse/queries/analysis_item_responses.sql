-- Item responses: one row per (leaderboard entry, counted question) with whether the entry got it right,
-- for pipeline.analysis.items (difficulty, discrimination, hardest and "everyone wrong" lists; the
-- entries are the test takers). Params: $num_fewshot: only entries with that shot count take part,
-- so zero-shot and few-shot answers never mix. Invalid answers count as wrong.
WITH final AS (
    SELECT c.entry_id, c.version_id, v.label, c.scoring_mode, c.task, b.benchmark, q.subject,
           c.question_id, c.pred, c.golds, c.correct
    FROM counted_predictions c
    JOIN questions q ON q.question_id = c.question_id
    JOIN benchmarks b ON b.task = c.task
    JOIN model_versions v ON v.version_id = c.version_id
    WHERE c.num_fewshot = $num_fewshot
)
SELECT * FROM final ORDER BY task, question_id, entry_id
