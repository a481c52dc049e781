-- An existing run runs again (a resume), over the given (widened) task list.
UPDATE runs SET status = 'running', tasks = $tasks, finished_at = NULL WHERE run_id = $run_id
