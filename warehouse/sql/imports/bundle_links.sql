-- Whether a bundle's files describe one run ($run_id, named in its manifest) and everything it points at:
-- one row of facts that pipeline.bundles turns into a refusal when one does not hold.
WITH
run AS (
    SELECT coalesce(count(*) = 1 AND bool_and(run_id = $run_id), false) AS is_named_run,
           any_value(version_id) AS version_id
    FROM read_parquet($runs)
),
foreign_predictions AS (
    SELECT count(*) AS n FROM read_parquet($predictions) WHERE run_id IS DISTINCT FROM $run_id
),
versions AS (
    SELECT list(version_id ORDER BY version_id) AS version_ids, any_value(model_id) AS model_id
    FROM read_parquet($model_versions)
),
model AS (
    SELECT count(*) > 0 AS present
    FROM read_parquet($models)
    WHERE model_id = (SELECT model_id FROM versions)
),
unknown_questions AS (
    SELECT count(*) AS n, min(question_id) AS example
    FROM (SELECT question_id FROM read_parquet($predictions) EXCEPT SELECT question_id FROM read_parquet($questions))
),
unknown_tasks AS (
    SELECT list(task ORDER BY task) AS tasks
    FROM (SELECT task FROM read_parquet($predictions) EXCEPT SELECT task FROM read_parquet($benchmarks))
),
final AS (
    SELECT run.is_named_run, run.version_id, foreign_predictions.n AS foreign_predictions,
           versions.version_ids, versions.model_id, model.present AS model_present,
           unknown_questions.n AS unknown_questions, unknown_questions.example AS unknown_question,
           coalesce(unknown_tasks.tasks, []) AS unknown_tasks
    FROM run, foreign_predictions, versions, model, unknown_questions, unknown_tasks
)
SELECT * FROM final
