-- The reconciler's own state. Flyway runs this inside our schema (reconciler.state.schema, on the search_path
-- while it migrates), never on the daemon's tables.

-- Every completed scan, successful or not: /api/v1/runs and the "last run / last success" metrics survive restarts.
CREATE TABLE runs (
    run_id       uuid        PRIMARY KEY,
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    result       text        NOT NULL CHECK (result IN ('success', 'failure')),
    failed_phase text,
    error        text,
    -- {"total": n, "bySeverity": {...}, "byKind": {...}, "bytesByKind": {...}}; null for a failed run
    summary      jsonb,
    -- {"rows": {table: n}, "objects": {prefix: n}}: what the run read
    scanned      jsonb       NOT NULL
);
CREATE INDEX runs_finished_at ON runs (finished_at DESC);

-- One row per finding identity (kind + subject) while it is present; closed (kept for history) when a
-- successful scan no longer sees it.
CREATE TABLE finding_ledger (
    id                bigserial   PRIMARY KEY,
    kind              text        NOT NULL,
    subject           text        NOT NULL,
    severity          text        NOT NULL,
    first_seen        timestamptz NOT NULL,
    last_seen         timestamptz NOT NULL,
    consecutive_scans integer     NOT NULL,
    last_run          uuid        NOT NULL,
    evidence          jsonb       NOT NULL,
    closed_at         timestamptz
);
CREATE UNIQUE INDEX finding_ledger_open ON finding_ledger (kind, subject) WHERE closed_at IS NULL;
CREATE INDEX finding_ledger_closed_at ON finding_ledger (closed_at) WHERE closed_at IS NOT NULL;

-- Every finding of the scan in progress, written in batches while it runs, merged into the ledger with set
-- operations when it succeeds (so a million findings never sit in the JVM), deleted either way.
CREATE UNLOGGED TABLE scan_findings (
    run_id   uuid  NOT NULL,
    kind     text  NOT NULL,
    subject  text  NOT NULL,
    severity text  NOT NULL,
    evidence jsonb NOT NULL
);
CREATE INDEX scan_findings_run ON scan_findings (run_id, kind, subject);

-- Objects listed per prefix by each successful scan: guards compare a listing with the recent maximum.
CREATE TABLE listing_history (
    run_id      uuid        NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    listed_at   timestamptz NOT NULL,
    prefix      text        NOT NULL,
    objects     bigint      NOT NULL,
    PRIMARY KEY (run_id, prefix)
);
CREATE INDEX listing_history_prefix ON listing_history (prefix, listed_at DESC);
