-- Forget the cached counts of these runs (before recounting them).
DELETE FROM prediction_counts WHERE list_contains($runs, run_id)
