-- A merged run's count and status follow its rows: any failed prediction left makes it 'failed'.
UPDATE runs
SET n_predictions = (SELECT count(*) FROM predictions WHERE run_id = $run_id),
    status = CASE WHEN EXISTS (SELECT 1 FROM predictions WHERE run_id = $run_id AND status = 'failed')
                  THEN 'failed' ELSE status END
WHERE run_id = $run_id
