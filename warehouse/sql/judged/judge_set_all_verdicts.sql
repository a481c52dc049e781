-- Every judge's verdicts on the physician-labelled judge set (`medlb judge-check`, run $run_id), by pair id.
WITH
final AS (
    SELECT judge_id, statement_id AS pair_id, relation, verdict FROM judgments WHERE run_id = $run_id
)
SELECT * FROM final ORDER BY judge_id, pair_id, relation
