-- Calibration per (leaderboard entry, task), for leaderboard columns: ECE (equal-width bins on the top
-- option's probability, Guo et al. 2017), multi-class Brier score, top-option accuracy, mean confidence.
-- Same definitions as pipeline.analysis.calibration (tests check that both agree).
-- Params: $n_bins (pipeline.analysis.calibration.N_BINS = 10). Only rows with probabilities count.
WITH scored AS (
    SELECT
        entry_id, task,
        list_max(probs) AS confidence,
        -- the top option (the first one on ties, like argmax) is a gold
        list_contains(golds, list_position(probs, list_max(probs)) - 1) AS top_correct,
        list_sum(list_transform(
            range(1, len(probs) + 1),
            lambda i: (probs[i] - CASE WHEN list_contains(golds, i - 1) THEN 1.0 ELSE 0.0 END) ** 2
        )) AS brier
    FROM counted_predictions
    WHERE status = 'ok' AND probs IS NOT NULL
),
binned AS (
    -- bins ((m-1)/M, m/M]; a confidence of exactly 0 goes to the first bin
    SELECT *, greatest(least(ceil(confidence * $n_bins)::INTEGER - 1, $n_bins - 1), 0) AS bin
    FROM scored
),
bins AS (
    SELECT entry_id, task, bin, count(*) AS n_bin, avg(confidence) AS conf, avg(top_correct::DOUBLE) AS acc
    FROM binned
    GROUP BY entry_id, task, bin
),
ece AS (
    SELECT entry_id, task, sum(n_bin * abs(acc - conf)) / sum(n_bin) AS ece
    FROM bins
    GROUP BY entry_id, task
),
summary AS (
    SELECT entry_id, task, count(*) AS n, avg(top_correct::DOUBLE) AS accuracy,
           avg(confidence) AS mean_confidence, avg(brier) AS brier
    FROM scored
    GROUP BY entry_id, task
),
entries AS (
    SELECT DISTINCT entry_id, version_id, num_fewshot, scoring_mode FROM entry_runs
),
final AS (
    SELECT s.entry_id, e.version_id, v.model_id, v.label, e.num_fewshot, e.scoring_mode,
           s.task, s.n, s.accuracy, s.mean_confidence, x.ece, s.brier
    FROM summary s
    JOIN ece x ON x.entry_id = s.entry_id AND x.task = s.task
    JOIN entries e ON e.entry_id = s.entry_id
    JOIN model_versions v ON v.version_id = e.version_id
)
SELECT * FROM final ORDER BY label, entry_id, task
