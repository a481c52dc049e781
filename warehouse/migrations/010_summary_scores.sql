-- 010: results without per-question data. Two kinds of run are known only by their per-task scores:
--   aggregate  an lm-evaluation-harness results JSON with no samples files (the form the Hugging Face
--              Open Medical-LLM Leaderboard published per model): `medlb import lm-eval`;
--   reported   a score printed in a paper or model card, with its citation: `medlb import reported`.
-- Runs with per-question predictions (kind 'predictions') stay in `runs`. These live in tables of their
-- own, so the views of 005 (entry_runs, counted_predictions) and the counts of 006, which every paired
-- test, tie group, question view and Compare/History pairing reads, can never contain them: no
-- per-question comparison with them is possible, and none is attempted. Written by warehouse/imports.py.

CREATE TABLE summary_runs (
    run_id         VARCHAR PRIMARY KEY,       -- hash of (kind, version, source bytes, shots, protocol, citation)
    kind           VARCHAR NOT NULL,          -- aggregate | reported
    version_id     VARCHAR NOT NULL,          -- model_versions.version_id
    num_fewshot    INTEGER,                   -- NULL: the source does not say
    protocol       VARCHAR NOT NULL,          -- how the scores were obtained, as the source describes it
    citation       VARCHAR,                   -- where a reported score was published (required for reported)
    source_file    VARCHAR NOT NULL,          -- the file imported (its name)
    source_sha256  VARCHAR NOT NULL,
    settings       JSON NOT NULL,             -- what else the source records (lm-eval's config, versions)
    packages       JSON NOT NULL,
    evaluated_at   TIMESTAMP,                 -- when the source says the scores were made, where it says
    imported_at    TIMESTAMP NOT NULL
);

CREATE TABLE summary_scores (
    run_id     VARCHAR NOT NULL,
    task       VARCHAR NOT NULL,              -- benchmarks.task
    metric     VARCHAR NOT NULL,              -- acc
    accuracy   DOUBLE NOT NULL,               -- 0..1
    n          INTEGER,                       -- questions scored; NULL when the source does not say
    n_correct  INTEGER,                       -- accuracy x n (a whole number) where n is known
    n_source   VARCHAR,                       -- n-samples | acc_stderr | csv | NULL
    stderr     DOUBLE,                        -- as the source reports it; never shown as an interval
    PRIMARY KEY (run_id, task)
);
