-- A model, once: later versions of it find the row there.
WITH
final AS (
    SELECT $model_id::VARCHAR AS model_id, $family::VARCHAR AS family, $model_type::VARCHAR AS model_type,
           $license::VARCHAR AS license, $source::VARCHAR AS source
)
INSERT INTO models BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
