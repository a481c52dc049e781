-- A judge's stored agreement with the physicians, the largest check first (the figure shown beside its scores).
WITH
final AS (
    SELECT relation, n_pairs, n_unparsed, accuracy, accuracy_low, accuracy_high, macro_f1, kappa, ceiling_kappa,
           checked_at
    FROM judge_checks WHERE judge_id = $judge_id
)
SELECT * FROM final ORDER BY relation, n_pairs DESC
