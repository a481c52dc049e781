-- A judge's agreement with the physicians at one --limit; checking again replaces the figures.
WITH
final AS (
    SELECT $judge_id::VARCHAR AS judge_id, $relation::VARCHAR AS relation, $n_pairs::INTEGER AS n_pairs,
           $n_unparsed::INTEGER AS n_unparsed, $accuracy::DOUBLE AS accuracy,
           $accuracy_low::DOUBLE AS accuracy_low, $accuracy_high::DOUBLE AS accuracy_high,
           $kappa::DOUBLE AS kappa, $macro_f1::DOUBLE AS macro_f1, $confusion::JSON AS confusion, $ceiling_kappa::DOUBLE AS ceiling_kappa,
           $checked_at::TIMESTAMP AS checked_at
)
INSERT OR REPLACE INTO judge_checks BY NAME SELECT * FROM final
