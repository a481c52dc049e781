-- The request store's one table (SQLite): a leaderboard submission and what a worker made of it.
CREATE TABLE IF NOT EXISTS requests (
    request_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    model_id      TEXT NOT NULL,
    revision      TEXT NOT NULL,           -- a 40-character commit sha, resolved at submission
    precision     TEXT NOT NULL,
    model_type    TEXT NOT NULL,
    tasks         TEXT NOT NULL,           -- comma-separated task names, sorted
    notes         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    submitted_at  REAL NOT NULL,
    worker        TEXT,
    claimed_at    REAL,
    heartbeat_at  REAL,                    -- a running request whose heartbeat is older than the lease is reclaimed
    attempts      INTEGER NOT NULL DEFAULT 0,
    finished_at   REAL,
    run_id        TEXT,
    error         TEXT
)
