-- 008: open-ended answers (K-QA). A generation run writes `generations` (one free-text answer per question);
-- a judge (`judges`: a model version, a mode, the prompts' hash) writes `judgments`, one per (answer, gold
-- statement, relation); `judge_checks` holds a judge's measured agreement with the physicians. Scores are
-- always computed per judge, never across judges. Written only by warehouse/judged.py.

CREATE TABLE statements (
    statement_id  VARCHAR PRIMARY KEY,        -- "kqa/<line>/<Must_have|Nice_to_have>/<position>"
    question_id   VARCHAR NOT NULL,
    task          VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,           -- Must_have | Nice_to_have (a rubric benchmark: rubric)
    position      INTEGER NOT NULL,           -- index in the source's list
    text          VARCHAR NOT NULL,
    weight        DOUBLE NOT NULL DEFAULT 1   -- rubric points; 1 for K-QA
);

CREATE TABLE generations (
    run_id         VARCHAR NOT NULL,          -- runs.run_id (scoring_mode 'generation')
    question_id    VARCHAR NOT NULL,
    task           VARCHAR NOT NULL,
    messages       JSON NOT NULL,             -- the chat messages exactly as sent
    prompt         VARCHAR,                   -- the exact text the model read, where the backend knows it
    prompt_hash    VARCHAR NOT NULL,          -- sha256 (16 hex) of messages
    sampling       JSON NOT NULL,             -- max_new_tokens, temperature, greedy, seed, backend settings
    output         VARCHAR NOT NULL,          -- the answer (for a failed row: why it failed)
    status         VARCHAR NOT NULL,          -- ok | failed (a rerun retries failed rows)
    finish_reason  VARCHAR,                   -- stop | length
    input_tokens   INTEGER,
    output_tokens  INTEGER,
    latency_ms     DOUBLE,
    cost_usd       DOUBLE,
    created_at     TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, question_id)
);

CREATE TABLE judges (
    judge_id     VARCHAR PRIMARY KEY,         -- hash of (version_id, mode, prompt_hash, settings)
    version_id   VARCHAR NOT NULL,            -- model_versions.version_id; 'physicians' for K-QA's labels
    model_id     VARCHAR NOT NULL,
    revision     VARCHAR NOT NULL,
    mode         VARCHAR NOT NULL,            -- loglikelihood | generative | physicians
    prompt_hash  VARCHAR NOT NULL,            -- over both judge prompts and what the mode adds to them
    settings     JSON NOT NULL,
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE judgments (
    judge_id      VARCHAR NOT NULL,
    run_id        VARCHAR NOT NULL,           -- the generation run; 'kqa-judge-set' for the physicians' pairs
    question_id   VARCHAR NOT NULL,
    statement_id  VARCHAR NOT NULL,           -- statements.statement_id, or the judge set's pair id
    relation      VARCHAR NOT NULL,           -- entails | contradicts
    verdict       VARCHAR NOT NULL,           -- true | false | unparsed (no verdict in the reply) | failed
    probability   DOUBLE,                     -- P(true) where the mode knows it (loglikelihood)
    rationale     VARCHAR,                    -- the judge's reasoning (generative mode)
    prompt_hash   VARCHAR NOT NULL,           -- the exact rendered prompt
    latency_ms    DOUBLE,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (judge_id, run_id, statement_id, relation)
);

CREATE TABLE judge_checks (
    judge_id        VARCHAR NOT NULL,
    relation        VARCHAR NOT NULL,         -- entails | contradicts
    n_pairs         INTEGER NOT NULL,         -- pairs judged (--limit), of the 399
    n_unparsed      INTEGER NOT NULL,         -- counted as disagreement, never as false
    accuracy        DOUBLE,
    accuracy_low    DOUBLE,                   -- Wilson 95% (statsmodels proportion_confint)
    accuracy_high   DOUBLE,
    kappa           DOUBLE,                   -- Cohen's kappa vs the physicians' majority (statsmodels)
    confusion       JSON NOT NULL,            -- {"physicians/judge": count}
    ceiling_kappa   DOUBLE,                   -- Fleiss' kappa of the three physicians on all 399 pairs
    checked_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (judge_id, relation, n_pairs)
);
