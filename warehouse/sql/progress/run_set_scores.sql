-- Exact match ratio and Hamming score of one task's unperturbed answers in a run, over the given questions
-- (this invocation's), for `medlb eval`'s summary of a multi-answer task such as FrenchMedMCQA. The set is
-- the stored pred_set; a failed row counts as the empty set, as in analysis_multilabel.sql.
-- Params: $run_id, $task, $question_ids, $set_share (pipeline.analysis.multilabel.SET_SHARE).
WITH
sets AS (
    SELECT golds,
           coalesce(pred_set, CASE WHEN probs IS NOT NULL THEN answer_set(probs, $set_share) END, []::INTEGER[])
               AS pred_set
    FROM predictions
    WHERE run_id = $run_id AND variant = '' AND task = $task AND list_contains($question_ids, question_id)
),
final AS (
    SELECT count(*) AS n, avg(set_exact(pred_set, golds)::DOUBLE) AS emr, avg(set_hamming(pred_set, golds)) AS hamming
    FROM sets
)
SELECT * FROM final
