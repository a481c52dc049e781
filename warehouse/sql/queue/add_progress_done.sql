-- Questions written so far, while a worker runs the request.
ALTER TABLE requests ADD COLUMN progress_done INTEGER
