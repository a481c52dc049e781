-- A new run, running from $started_at.
WITH
final AS (
    SELECT $run_id::VARCHAR AS run_id, $version_id::VARCHAR AS version_id, $backend::VARCHAR AS backend,
           $scoring_mode::VARCHAR AS scoring_mode, $provenance::VARCHAR AS provenance,
           $num_fewshot::INTEGER AS num_fewshot, $dtype::VARCHAR AS dtype, $device::VARCHAR AS device,
           $prompt_version::VARCHAR AS prompt_version, $prompt_hash::VARCHAR AS prompt_hash,
           $settings::JSON AS settings, $packages::JSON AS packages, $tasks::VARCHAR[] AS tasks,
           'running' AS status, $started_at::TIMESTAMP AS started_at
)
INSERT INTO runs BY NAME SELECT * FROM final
