-- Reliability-diagram data per (leaderboard entry, task, confidence bin): count, mean confidence and
-- accuracy of the top option. Only bins that hold questions; pipeline.analysis.calibration.reliability_bins
-- gives every bin. Params: $n_bins (10).
WITH scored AS (
    SELECT entry_id, version_id, task, list_max(probs) AS confidence,
           list_contains(golds, list_position(probs, list_max(probs)) - 1) AS top_correct
    FROM counted_predictions
    WHERE status = 'ok' AND probs IS NOT NULL
),
binned AS (
    SELECT *, greatest(least(ceil(confidence * $n_bins)::INTEGER - 1, $n_bins - 1), 0) AS bin
    FROM scored
),
final AS (
    SELECT b.entry_id, b.version_id, v.label, b.task, b.bin,
           b.bin / $n_bins AS lower, (b.bin + 1) / $n_bins AS upper,
           count(*) AS count, avg(b.confidence) AS confidence, avg(b.top_correct::DOUBLE) AS accuracy
    FROM binned b
    JOIN model_versions v ON v.version_id = b.version_id
    GROUP BY ALL
)
SELECT * FROM final ORDER BY label, entry_id, task, bin
