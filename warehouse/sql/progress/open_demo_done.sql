-- How far the demo's K-QA part got, read without loading a model: how many of $question_ids a complete
-- generation run of $model_arg answered, how many verdicts a log-likelihood judge of $judge_model gave on those
-- answers, and the most physician-labelled pairs such a judge was checked on. The demo skips what is done.
WITH
open_runs AS (
    SELECT run_id
    FROM runs
    WHERE status = 'complete'
      AND json_extract_string(settings, '$.scoring_mode') = 'generation'
      AND json_extract_string(settings, '$.model_arg') = $model_arg
),
answers AS (
    SELECT g.run_id, g.question_id
    FROM generations g
    JOIN open_runs USING (run_id)
    WHERE g.status = 'ok' AND list_contains($question_ids, g.question_id)
),
demo_judges AS (
    SELECT judge_id FROM judges WHERE model_id = $judge_model AND mode = 'loglikelihood'
),
verdicts AS (
    SELECT count(*) AS judged
    FROM judgments j
    JOIN answers a USING (run_id, question_id)
    WHERE j.verdict <> 'failed' AND j.judge_id IN (SELECT judge_id FROM demo_judges)
),
checks AS (
    SELECT coalesce(max(n_pairs), 0) AS checked
    FROM judge_checks
    WHERE judge_id IN (SELECT judge_id FROM demo_judges)
),
final AS (
    SELECT (SELECT count(DISTINCT question_id) FROM answers) AS answered, verdicts.judged, checks.checked
    FROM verdicts, checks
)
SELECT * FROM final
