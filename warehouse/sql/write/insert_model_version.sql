-- A model version, once (its id is derived from model, revision and variant).
WITH
final AS (
    SELECT $version_id::VARCHAR AS version_id, $model_id::VARCHAR AS model_id, $revision::VARCHAR AS revision,
           $variant::VARCHAR AS variant, $label::VARCHAR AS label, $n_params::BIGINT AS n_params,
           $released_at::TIMESTAMP AS released_at
)
INSERT INTO model_versions BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
