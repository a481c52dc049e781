-- A run known only by its per-task scores (kind aggregate or reported, migration 010).
WITH
final AS (
    SELECT $run_id::VARCHAR AS run_id, $kind::VARCHAR AS kind, $version_id::VARCHAR AS version_id,
           $num_fewshot::INTEGER AS num_fewshot, $protocol::VARCHAR AS protocol, $citation::VARCHAR AS citation,
           $source_file::VARCHAR AS source_file, $source_sha256::VARCHAR AS source_sha256,
           $settings::JSON AS settings, $packages::JSON AS packages, $evaluated_at::TIMESTAMP AS evaluated_at,
           $imported_at::TIMESTAMP AS imported_at
)
INSERT INTO summary_runs BY NAME SELECT * FROM final
