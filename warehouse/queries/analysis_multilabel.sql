-- Multi-answer tasks (a task where some question has several golds, e.g. FrenchMedMCQA): exact match
-- ratio and Hamming score (|P ∩ G| / |P ∪ G|, averaged), as the FrenchMedMCQA paper reports them, per
-- (leaderboard entry, task). The predicted set is the stored pred_set (migration 002); where a row has
-- none, it is derived from the probabilities by the answer_set macro (migration 007), the twin of
-- pipeline.analysis.multilabel.choose_answer_set;
-- an invalid answer is the empty set.
-- Params: $set_share (pipeline.analysis.multilabel.SET_SHARE = 0.5).
WITH multi_tasks AS (
    SELECT task FROM questions GROUP BY task HAVING max(len(golds)) > 1
),
sets AS (
    SELECT c.entry_id, c.version_id, c.num_fewshot, c.scoring_mode, c.task, c.question_id, c.golds,
           coalesce(
               p.pred_set,
               CASE WHEN c.probs IS NOT NULL THEN answer_set(c.probs, $set_share) END,
               []::INTEGER[]
           ) AS pred_set
    FROM counted_predictions c
    JOIN predictions p ON p.run_id = c.run_id AND p.question_id = c.question_id AND p.variant = ''
    WHERE c.task IN (SELECT task FROM multi_tasks)
),
scored AS (
    SELECT *, set_exact(pred_set, golds) AS exact, set_hamming(pred_set, golds) AS hamming
    FROM sets
),
final AS (
    SELECT s.entry_id, s.version_id, v.label, s.num_fewshot, s.scoring_mode, s.task, count(*) AS n,
           count(*) FILTER (WHERE len(s.golds) > 1) AS n_multi,
           avg(s.exact::DOUBLE) AS emr, avg(s.hamming) AS hamming
    FROM scored s
    JOIN model_versions v ON v.version_id = s.version_id
    GROUP BY ALL
)
SELECT * FROM final ORDER BY label, entry_id, task
