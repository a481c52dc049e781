-- Models with the run configurations they were evaluated under and how many versions each has,
-- for the history page's pickers.
WITH
final AS (
    SELECT model_id, num_fewshot, scoring_mode, count(DISTINCT version_id) AS n_versions
    FROM entry_runs
    GROUP BY model_id, num_fewshot, scoring_mode
)
SELECT * FROM final ORDER BY n_versions DESC, model_id, num_fewshot, scoring_mode
