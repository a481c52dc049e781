-- Calibration inputs for one leaderboard entry: one row per counted (task, question) with the option
-- probabilities, for pipeline.analysis.calibration (reliability diagram, accuracy-at-coverage curve).
-- Params: $entry_id (entry_runs.entry_id). Rows without probabilities (generative scoring) and
-- invalid answers carry no confidence and are left out.
WITH final AS (
    SELECT c.entry_id, c.version_id, v.model_id, v.label, c.num_fewshot, c.scoring_mode,
           c.task, c.question_id, c.probs, c.golds, c.pred, c.correct
    FROM counted_predictions c
    JOIN model_versions v ON v.version_id = c.version_id
    WHERE c.entry_id = $entry_id AND c.status = 'ok' AND c.probs IS NOT NULL
)
SELECT * FROM final ORDER BY task, question_id
