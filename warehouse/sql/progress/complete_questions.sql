-- How many of the given questions a complete zero-shot run of this model argument and variant answered
-- (unperturbed): the demo skips a model when that is all of them.
WITH
complete_runs AS (
    SELECT r.run_id
    FROM runs r
    JOIN model_versions v ON v.version_id = r.version_id
    WHERE r.status = 'complete' AND r.num_fewshot = 0
      AND json_extract_string(r.settings, '$.model_arg') = $model_arg AND v.variant = $variant
),
final AS (
    SELECT count(DISTINCT p.question_id) AS answered
    FROM predictions p
    JOIN complete_runs c ON c.run_id = p.run_id
    WHERE p.variant = '' AND list_contains($question_ids, p.question_id)
)
SELECT * FROM final
