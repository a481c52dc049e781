-- Leaderboard entries: one row per model version x run configuration (num_fewshot, scoring_mode),
-- with the model's metadata and the settings of the runs behind it (several runs are listed together),
-- so the leaderboard can show them and mark entries whose settings differ from the rest.
WITH
entry_run_rows AS (
    SELECT e.entry_id, e.run_rank, r.*
    FROM entry_runs e
    JOIN runs r ON r.run_id = e.run_id
),
per_entry AS (
    SELECT
        entry_id,
        any_value(version_id) AS version_id,
        any_value(num_fewshot) AS num_fewshot,
        any_value(scoring_mode) AS scoring_mode,
        count(*) AS n_runs,
        arg_min(status, run_rank) AS status,  -- the status of the run that answers first
        string_agg(DISTINCT backend, ', ' ORDER BY backend) AS backend,
        string_agg(DISTINCT provenance, ', ' ORDER BY provenance) AS provenance,
        string_agg(DISTINCT coalesce(dtype, '?'), ', ' ORDER BY coalesce(dtype, '?')) AS dtype,
        string_agg(DISTINCT prompt_version, ', ' ORDER BY prompt_version) AS prompt_version,
        string_agg(DISTINCT prompt_hash, ', ' ORDER BY prompt_hash) AS prompt_hash,
        max(coalesce(finished_at, started_at)) AS evaluated_at,
        min(started_at) AS first_run_at
    FROM entry_run_rows
    GROUP BY entry_id
),
final AS (
    SELECT
        e.entry_id,
        v.model_id,
        v.model_id || ' · ' || v.label
            || CASE WHEN e.num_fewshot > 0 THEN ' · ' || e.num_fewshot || '-shot' ELSE '' END
            || CASE WHEN e.scoring_mode <> 'loglikelihood' THEN ' · ' || e.scoring_mode ELSE '' END AS entry_label,
        v.label,
        e.version_id,
        v.revision,
        v.variant,
        v.n_params,
        m.model_type,
        m.license,
        m.source,
        v.released_at,
        e.num_fewshot,
        e.scoring_mode,
        e.backend,
        e.provenance,
        e.dtype,
        e.prompt_version,
        e.prompt_hash,
        e.n_runs,
        e.status,
        e.evaluated_at,
        e.first_run_at
    FROM per_entry e
    JOIN model_versions v ON v.version_id = e.version_id
    LEFT JOIN models m ON m.model_id = v.model_id
)
SELECT * FROM final ORDER BY model_id, coalesce(released_at, first_run_at), entry_label
