-- 006: how many predictions each run has per (task, variant, status), and how many of them are correct.
-- A cache of `predictions`, kept by warehouse.writer in the same transaction as every prediction it
-- inserts or deletes (and recounted by writer.recount_runs), so the leaderboard can read a few thousand
-- rows instead of aggregating millions. The leaderboard uses it only where it provably equals the rule
-- of migration 005: for a cell (entry, task) that a single run of the entry answers; cells that several
-- runs share still go through counted_predictions. Rows may reach n = 0 (all rows deleted): harmless.
CREATE TABLE prediction_counts (
    run_id     VARCHAR NOT NULL,
    task       VARCHAR NOT NULL,
    variant    VARCHAR NOT NULL,
    status     VARCHAR NOT NULL,
    n          BIGINT NOT NULL,
    n_correct  BIGINT NOT NULL,
    PRIMARY KEY (run_id, task, variant, status)
);

INSERT INTO prediction_counts
SELECT run_id, task, variant, status, count(*), count(*) FILTER (WHERE correct)
FROM predictions
GROUP BY run_id, task, variant, status;
