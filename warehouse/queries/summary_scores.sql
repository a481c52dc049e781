-- Scores of runs known only by their per-task accuracies (migration 010): lm-eval results without samples
-- ('aggregate') and scores reported in papers or model cards ('reported'), one row per (run, task) of a
-- task group. They come from their own tables, never from entry_runs or counted_predictions, so no paired
-- query can meet them; the leaderboard lists them apart, with their kind, shots, protocol and citation.
-- n and n_correct are NULL where the source gives no n; the Wilson interval is computed in Python (009).
WITH
group_tasks AS (
    SELECT task
    FROM benchmarks
    WHERE task_group = $task_group
),
final AS (
    SELECT
        r.kind || ':' || r.run_id AS entry_id,
        r.run_id, r.kind, v.model_id, v.label, v.revision, r.num_fewshot, r.protocol, r.citation,
        r.source_file, r.evaluated_at, r.imported_at,
        s.task, s.accuracy AS acc, s.n, s.n_correct, s.n_source, s.stderr
    FROM summary_scores s
    JOIN summary_runs r ON r.run_id = s.run_id
    JOIN model_versions v ON v.version_id = r.version_id
    JOIN group_tasks g ON g.task = s.task
)
SELECT * FROM final ORDER BY model_id, kind, num_fewshot NULLS LAST, run_id, task
