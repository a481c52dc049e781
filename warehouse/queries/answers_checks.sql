-- Every judge's stored agreement with K-QA's physicians, the largest check of each first.
WITH
final AS (
    SELECT judge_id, relation, n_pairs, n_unparsed, accuracy, accuracy_low, accuracy_high, kappa, ceiling_kappa,
           checked_at
    FROM judge_checks
)
SELECT * FROM final ORDER BY judge_id, relation, n_pairs DESC
