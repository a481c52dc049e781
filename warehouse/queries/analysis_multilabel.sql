-- Multi-answer tasks (a task where some question has several golds, e.g. FrenchMedMCQA): exact match
-- ratio and Hamming score (|P ∩ G| / |P ∪ G|, averaged), as the FrenchMedMCQA paper reports them, per
-- (leaderboard entry, task). The predicted set is the stored pred_set (migration 002); where a row has
-- none, it is derived from the probabilities by pipeline.analysis.multilabel.choose_answer_set's rule;
-- an invalid answer is the empty set.
-- Params: $set_share (pipeline.analysis.multilabel.SET_SHARE = 0.5).
WITH multi_tasks AS (
    SELECT task FROM questions GROUP BY task HAVING max(len(golds)) > 1
),
sets AS (
    SELECT c.entry_id, c.version_id, c.num_fewshot, c.scoring_mode, c.task, c.question_id, c.golds,
           coalesce(
               p.pred_set,
               CASE WHEN c.probs IS NOT NULL
                    THEN list_filter(range(len(c.probs)), lambda i: c.probs[i + 1] >= $set_share * list_max(c.probs))
               END,
               []::INTEGER[]
           ) AS pred_set
    FROM counted_predictions c
    JOIN predictions p ON p.run_id = c.run_id AND p.question_id = c.question_id AND p.variant = ''
    WHERE c.task IN (SELECT task FROM multi_tasks)
),
scored AS (
    SELECT *,
           list_sort(list_distinct(pred_set)) = list_sort(list_distinct(golds)) AS exact,
           CASE WHEN len(list_distinct(list_concat(pred_set, golds))) = 0 THEN 1.0
                ELSE len(list_intersect(pred_set, golds)) / len(list_distinct(list_concat(pred_set, golds)))
           END AS hamming
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
