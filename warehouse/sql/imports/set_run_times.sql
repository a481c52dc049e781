-- An imported run's times are when it ran elsewhere (lm-eval's "date"), not when it was imported.
UPDATE runs
SET started_at = $started_at, finished_at = $finished_at
WHERE run_id = $run_id
