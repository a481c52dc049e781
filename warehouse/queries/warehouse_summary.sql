-- What the warehouse holds, for the empty-warehouse check and the sidebar.
WITH
final AS (
    SELECT
        (SELECT count(*) FROM predictions) AS predictions,
        (SELECT count(*) FROM generations) AS answers,
        (SELECT count(*) FROM summary_scores) AS summary_scores,
        (SELECT count(*) FROM runs) AS runs,
        (SELECT count(*) FROM model_versions) AS versions,
        (SELECT count(*) FROM models) AS models,
        (SELECT count(*) FROM questions) AS questions,
        (SELECT max(coalesce(finished_at, started_at)) FROM runs) AS last_run_at
)
SELECT * FROM final
