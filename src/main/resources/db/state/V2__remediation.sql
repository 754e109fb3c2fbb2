-- Remediation: what we changed in the daemon's tables, and the old rows, so every change can be undone.

-- Append-only audit: one row per planned, applied, skipped, failed or dry-run action.
CREATE TABLE remediation_actions (
    seq        bigserial   PRIMARY KEY,
    action_id  text        NOT NULL,
    run_id     text,
    plan_id    text        NOT NULL,
    instance   text        NOT NULL,
    kind       text        NOT NULL,
    action     text        NOT NULL,
    table_name text        NOT NULL,
    row_id     text        NOT NULL,
    -- the changed columns before and after (update_row), or null
    before     jsonb,
    after      jsonb,
    outcome    text        NOT NULL CHECK (outcome IN ('planned', 'applied', 'skipped_changed', 'failed', 'dry_run',
                                                       'withheld', 'restored', 'restore_refused')),
    detail     text,
    at         timestamptz NOT NULL
);
CREATE INDEX remediation_actions_action ON remediation_actions (action_id);

-- The full old row (row_to_json) of every row we deleted or updated, written in the same transaction as the
-- change; restored_at is set when restore put it back.
CREATE TABLE quarantine_rows (
    id             bigserial   PRIMARY KEY,
    action_id      text        NOT NULL,
    action         text        NOT NULL,
    table_name     text        NOT NULL,
    row_id         text        NOT NULL,
    row            jsonb       NOT NULL,
    -- the same row as row_to_json wrote it: jsonb would reorder the keys of a json-typed column, and restore
    -- must put back exactly what was there
    row_text       text        NOT NULL,
    -- update_row: the columns we set and their new values, so restore can tell whether someone changed them since
    set_columns    jsonb,
    quarantined_at timestamptz NOT NULL,
    restored_at    timestamptz
);
-- Not unique: a plan applied, restored and applied again quarantines the same action's row twice.
CREATE INDEX quarantine_rows_action ON quarantine_rows (action_id);
