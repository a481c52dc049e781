-- Failed judgments (the judge's backend gave up) about to be retried make room for the retry's rows.
DELETE FROM judgments
WHERE judge_id = $judge_id AND run_id = $run_id AND verdict = 'failed' AND list_contains($statements, statement_id)
