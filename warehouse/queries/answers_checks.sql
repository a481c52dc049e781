-- Every judge's stored agreement with K-QA's physicians, the largest check of each first.
WITH
final AS (
    SELECT judge_id, relation, n_pairs, n_unparsed, accuracy, accuracy_low, accuracy_high, macro_f1, kappa,
           ceiling_kappa, confusion, checked_at
    FROM judge_checks
)
SELECT * FROM final ORDER BY judge_id, relation, n_pairs DESC
