-- Calibration per (leaderboard entry, task), for leaderboard columns: ECE (equal-width bins on the top
-- option's probability, Guo et al. 2017), multi-class Brier score, top-option accuracy, mean confidence.
-- The per-row definitions are the macros of migration 007, twins of pipeline.analysis.calibration
-- (tests check that both agree).
-- Params: $n_bins (pipeline.analysis.calibration.N_BINS = 10). Only rows with probabilities count.
WITH scored AS (
    SELECT entry_id, task, top_confidence(probs) AS confidence, top_is_gold(probs, golds) AS top_correct,
           brier(probs, golds) AS brier
    FROM counted_predictions
    WHERE status = 'ok' AND probs IS NOT NULL
),
binned AS (
    SELECT *, confidence_bin(confidence, $n_bins) AS bin
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
