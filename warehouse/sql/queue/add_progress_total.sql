-- The run's questions, those written by earlier attempts included.
ALTER TABLE requests ADD COLUMN progress_total INTEGER
