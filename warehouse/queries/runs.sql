-- Every run with its settings, what it wrote, and tokens and cost where the backend recorded them
-- (API backends do; local ones leave them NULL, so the sums stay NULL).
WITH
usage AS (
    SELECT run_id, count(*) AS predictions, count(*) FILTER (WHERE status = 'failed') AS failed, count(*) FILTER (WHERE status = 'invalid') AS invalid,
           sum(input_tokens)::BIGINT AS input_tokens, sum(output_tokens)::BIGINT AS output_tokens, sum(cost_usd) AS cost_usd
    FROM predictions
    GROUP BY run_id
),
final AS (
    SELECT
        r.run_id, e.entry_id, v.model_id, v.label, r.backend, r.scoring_mode, r.provenance, r.num_fewshot,
        r.dtype, r.device, r.prompt_version, r.prompt_hash, r.status, e.run_rank, r.started_at, r.finished_at,
        r.seconds, coalesce(u.predictions, 0) AS predictions, coalesce(u.failed, 0) AS failed,
        coalesce(u.invalid, 0) AS invalid, u.input_tokens, u.output_tokens, u.cost_usd,
        array_to_string(r.tasks, ', ') AS tasks, r.settings::VARCHAR AS settings
    FROM runs r
    JOIN entry_runs e ON e.run_id = r.run_id
    JOIN model_versions v ON v.version_id = r.version_id
    LEFT JOIN usage u ON u.run_id = r.run_id
)
SELECT * FROM final ORDER BY started_at DESC, run_id
