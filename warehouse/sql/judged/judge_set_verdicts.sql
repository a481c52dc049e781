-- One judge's verdicts on the physician-labelled judge set (run 'kqa-judge-set').
WITH
final AS (
    SELECT statement_id AS pair_id, relation, verdict, probability FROM judgments
    WHERE judge_id = $judge_id AND run_id = 'kqa-judge-set'
)
SELECT * FROM final ORDER BY pair_id, relation
