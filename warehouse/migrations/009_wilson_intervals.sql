-- 009: accuracy intervals leave the SQL. Migration 007's acc_low and acc_high were the normal (Wald)
-- interval, which claims certainty it does not have at small n (0 right of 25 gave [0, 0]). The 95%
-- interval is now Wilson's score interval from scipy, computed in Python beside the page frames
-- (pipeline.metrics.wilson_interval); the queries return the counts (n, n_correct) it needs. Dropping the
-- two macros keeps anyone from showing the old interval by mistake. acc_stderr stays: it is the standard
-- error lm-evaluation-harness reports, used for the leaderboard average's spread, never as an interval.
DROP MACRO acc_high;
DROP MACRO acc_low;
