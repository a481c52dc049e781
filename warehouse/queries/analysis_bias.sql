-- Bias probe pairs: one row per (leaderboard entry, question, counterfactual) with the counted original
-- answer and the counterfactual's, for pipeline.analysis.bias (flip rate per attribute, flipped list).
-- Per (entry, question, variant) the answer comes from the entry's best run that has it (entry_runs'
-- run_rank, the rule counted_predictions uses); failed rows are left out.
WITH presented AS (
    SELECT e.entry_id, e.version_id, e.num_fewshot, e.scoring_mode, p.task, p.question_id, p.variant,
           p.pred, p.golds, p.correct
    FROM predictions p
    JOIN entry_runs e ON e.run_id = p.run_id
    WHERE p.status <> 'failed' AND (p.variant = '' OR starts_with(p.variant, 'cf_'))
    QUALIFY row_number() OVER (PARTITION BY e.entry_id, p.question_id, p.variant ORDER BY e.run_rank) = 1
),
counterfactual AS (
    SELECT * FROM presented WHERE variant <> ''
),
original AS (
    SELECT * FROM presented WHERE variant = ''
),
final AS (
    SELECT c.entry_id, c.version_id, v.label, c.num_fewshot, c.scoring_mode, c.task, c.question_id,
           substr(c.variant, 4) AS attribute, c.variant,
           o.pred AS pred_original, c.pred AS pred_counterfactual, c.golds,
           o.correct AS correct_original, c.correct AS correct_counterfactual,
           o.pred IS DISTINCT FROM c.pred AS flipped, q.text
    FROM counterfactual c
    JOIN original o ON o.entry_id = c.entry_id AND o.question_id = c.question_id
    JOIN questions q ON q.question_id = c.question_id
    JOIN model_versions v ON v.version_id = c.version_id
)
SELECT * FROM final ORDER BY label, entry_id, attribute, question_id
