-- A run already here (another shard's bundle, or the same bundle again) widened by the bundle's row.
-- Every step is idempotent (union, least, greatest), so importing a bundle twice changes nothing;
-- seconds keeps the longest shard's, the wall time of machines working side by side.
UPDATE runs
SET tasks = list_sort(list_distinct(list_concat(runs.tasks, incoming.tasks))),
    started_at = least(runs.started_at, incoming.started_at),
    finished_at = greatest(runs.finished_at, incoming.finished_at),
    seconds = greatest(runs.seconds, incoming.seconds),
    status = CASE WHEN runs.status = 'running' OR incoming.status = 'running' THEN 'running' ELSE 'complete' END
FROM read_parquet($file) AS incoming
WHERE runs.run_id = incoming.run_id
