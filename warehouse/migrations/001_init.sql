-- 001: the core schema. Every number the dashboard shows is derived from `predictions`.
-- No FOREIGN KEY clauses: DuckDB refuses UPDATEs of rows that a foreign key references (runs.status
-- changes while predictions point at the run); warehouse.writer is the one write path and keeps them whole.

CREATE TABLE models (
    model_id    VARCHAR PRIMARY KEY,          -- as the user names it: hub id, folder name, API model
    family      VARCHAR,
    model_type  VARCHAR,                      -- pretrained | instruct | fine-tuned | commercial
    license     VARCHAR,
    source      VARCHAR NOT NULL,             -- hub | local | gguf | api | imported
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE model_versions (
    version_id  VARCHAR PRIMARY KEY,          -- hash of (model_id, revision, variant)
    model_id    VARCHAR NOT NULL,
    revision    VARCHAR NOT NULL,             -- commit sha or sha256 of the weight file
    variant     VARCHAR NOT NULL DEFAULT '',  -- '' = weights as published; e.g. 'int8-dynamic'
    label       VARCHAR NOT NULL,             -- human label shown in the dashboard
    n_params    BIGINT,
    released_at TIMESTAMP,                    -- orders History; falls back to the first run
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE benchmarks (
    task          VARCHAR PRIMARY KEY,        -- e.g. medqa_4options, mmlu_anatomy
    benchmark     VARCHAR NOT NULL,           -- medqa, medmcqa, pubmedqa, mmlu, ...
    split         VARCHAR NOT NULL,
    language      VARCHAR NOT NULL DEFAULT 'en',
    task_group    VARCHAR NOT NULL,           -- omll | french | spanish | extra
    metric        VARCHAR NOT NULL DEFAULT 'acc',
    n_questions   INTEGER NOT NULL,
    source        VARCHAR NOT NULL,           -- vendored file path or hub dataset@revision
    data_sha256   VARCHAR
);

CREATE TABLE questions (
    question_id   VARCHAR PRIMARY KEY,        -- "<task>/<source id>", stable across runs
    task          VARCHAR NOT NULL,
    source_id     VARCHAR NOT NULL,
    content_hash  VARCHAR NOT NULL,           -- joins imported runs by content
    text          VARCHAR NOT NULL,
    context       VARCHAR,
    options       VARCHAR[] NOT NULL,
    golds         INTEGER[] NOT NULL,         -- 0-based indices into options
    subject       VARCHAR,
    topic         VARCHAR,
    explanation   VARCHAR,
    meta          JSON
);
CREATE INDEX questions_content ON questions (content_hash);

CREATE TABLE runs (
    run_id          VARCHAR PRIMARY KEY,      -- hash of (version_id, config): rerunning resumes it
    version_id      VARCHAR NOT NULL,
    backend         VARCHAR NOT NULL,         -- transformers | openai | lm-eval | ...
    scoring_mode    VARCHAR NOT NULL,         -- loglikelihood | generative
    provenance      VARCHAR NOT NULL,         -- evaluated | imported | bundle
    num_fewshot     INTEGER NOT NULL DEFAULT 0,
    dtype           VARCHAR,
    device          VARCHAR,
    prompt_version  VARCHAR NOT NULL,
    prompt_hash     VARCHAR NOT NULL,         -- hash over the prompt templates used
    settings        JSON NOT NULL,            -- everything else the run was configured with
    packages        JSON NOT NULL,            -- package versions
    tasks           VARCHAR[] NOT NULL,
    status          VARCHAR NOT NULL,         -- running | complete | failed
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    seconds         DOUBLE,
    n_predictions   INTEGER
);

CREATE TABLE predictions (
    run_id          VARCHAR NOT NULL,
    question_id     VARCHAR NOT NULL,
    variant         VARCHAR NOT NULL DEFAULT '',  -- '' = as published; else a perturbation
    task            VARCHAR NOT NULL,
    pred            INTEGER,                  -- chosen option index (NULL when invalid/failed)
    golds           INTEGER[] NOT NULL,
    correct         BOOLEAN NOT NULL,
    loglikelihoods  DOUBLE[],
    probs           DOUBLE[],                 -- softmax over the options' log-likelihoods
    prompt_hash     VARCHAR NOT NULL,
    latency_ms      DOUBLE,
    status          VARCHAR NOT NULL DEFAULT 'ok',  -- ok | invalid | failed
    raw_output      VARCHAR,
    input_tokens    INTEGER,
    output_tokens   INTEGER,
    cost_usd        DOUBLE,
    created_at      TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (run_id, question_id, variant)
);
