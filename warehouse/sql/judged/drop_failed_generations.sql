-- Failed answers about to be retried make room for the retry's rows.
DELETE FROM generations WHERE run_id = $run_id AND status = 'failed' AND list_contains($questions, question_id)
