-- Option-order robustness inputs: for every (leaderboard entry, task) that has permuted presentations,
-- one row per (question, variant) for the original ('') and each 'perm<k>', with the ORIGINAL options,
-- for pipeline.analysis.robustness (consistency, accuracy under permutation, letter bias).
-- Per (entry, question, variant) the answer comes from the entry's best run that has it (entry_runs'
-- run_rank, the rule counted_predictions uses). Failed rows are left out: the question then counts
-- as incomplete, not as wrong.
WITH presented AS (
    SELECT e.entry_id, e.version_id, e.num_fewshot, e.scoring_mode, p.run_id, p.task, p.question_id,
           p.variant, p.pred, p.golds, p.correct, p.status
    FROM predictions p
    JOIN entry_runs e ON e.run_id = p.run_id
    WHERE p.status <> 'failed' AND (p.variant = '' OR regexp_full_match(p.variant, 'perm[0-9]+'))
    QUALIFY row_number() OVER (PARTITION BY e.entry_id, p.question_id, p.variant ORDER BY e.run_rank) = 1
),
permuted AS (
    SELECT DISTINCT entry_id, task FROM presented WHERE variant <> ''
),
final AS (
    SELECT p.entry_id, p.version_id, v.label, p.num_fewshot, p.scoring_mode, p.task, p.question_id,
           p.variant, p.pred, p.golds, p.correct, q.options
    FROM presented p
    JOIN permuted USING (entry_id, task)
    JOIN questions q ON q.question_id = p.question_id
    JOIN model_versions v ON v.version_id = p.version_id
)
SELECT * FROM final ORDER BY label, entry_id, task, question_id, variant
