-- A judge's identity, once.
WITH
final AS (
    SELECT $judge_id::VARCHAR AS judge_id, $version_id::VARCHAR AS version_id, $model_id::VARCHAR AS model_id,
           $revision::VARCHAR AS revision, $mode::VARCHAR AS mode, $prompt_hash::VARCHAR AS prompt_hash,
           $settings::JSON AS settings
)
INSERT INTO judges BY NAME SELECT * FROM final ON CONFLICT DO NOTHING
