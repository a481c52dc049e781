-- Every leaderboard entry's answers to one question under its variants (perm<k> option rotations,
-- cf_<attribute> counterfactuals), for the question view. Per (entry, variant) the answer comes from
-- the entry's best run that has it (entry_runs' run_rank, the rule counted_predictions uses); failed
-- rows are left out. `pred` is the position as SHOWN in that variant (pipeline.analysis.variants maps
-- it back to the original option). Params: $task (the question's task, tested first as in
-- question_answers.sql), $question_id.
WITH presented AS (
    SELECT e.entry_id, p.variant, p.pred, p.pred_set, p.correct, p.probs, p.status, p.raw_output
    FROM predictions p
    JOIN entry_runs e ON e.run_id = p.run_id
    WHERE p.task = $task AND p.question_id = $question_id AND p.variant <> '' AND p.status <> 'failed'
    QUALIFY row_number() OVER (PARTITION BY e.entry_id, p.variant ORDER BY e.run_rank) = 1
),
final AS (
    SELECT * FROM presented
)
SELECT * FROM final ORDER BY entry_id, variant
