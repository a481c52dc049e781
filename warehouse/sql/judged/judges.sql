-- Every judge's identity, a judge-check-only judge included (it has no entry of its own).
WITH
final AS (
    SELECT judge_id, model_id, revision, mode, prompt_hash FROM judges
)
SELECT * FROM final ORDER BY model_id, mode, judge_id
