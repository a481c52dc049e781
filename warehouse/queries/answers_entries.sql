-- Open-ended entries: every (generation run, judge) with judgments, the answering model and the judge named.
WITH
judged_runs AS (
    SELECT run_id, judge_id, count(*) AS n_judgments, count(DISTINCT question_id) AS n_questions,
           count(*) FILTER (WHERE verdict IN ('unparsed', 'failed')) AS n_unparsed
    FROM judgments WHERE run_id <> 'kqa-judge-set'
    GROUP BY run_id, judge_id
),
final AS (
    SELECT j.run_id, j.judge_id, mv.model_id, mv.label AS version, r.version_id, r.status AS run_status,
           jd.model_id AS judge_model, jd.revision AS judge_revision, jd.mode AS judge_mode,
           jd.prompt_hash AS judge_prompt_hash, j.n_questions, j.n_judgments, j.n_unparsed
    FROM judged_runs j
    JOIN runs r USING (run_id)
    JOIN model_versions mv ON mv.version_id = r.version_id
    JOIN judges jd USING (judge_id)
)
SELECT * FROM final ORDER BY model_id, version, judge_model, judge_mode
