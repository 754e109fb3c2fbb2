-- The remediation breaker: a cap trip (a plan that reached max-actions-per-run or a kind's max-share with more
-- eligible findings) is recorded here and stops every plan until someone acknowledges it. Rows are only
-- appended, and acknowledged once (the ack columns are set together, never cleared), so the table is the history.
CREATE TABLE breaker_events (
    id         bigserial   PRIMARY KEY,
    tripped_at timestamptz NOT NULL,
    guard      text        NOT NULL,
    detail     text        NOT NULL,
    plan_id    text,
    run_id     text,
    instance   text        NOT NULL,
    acked_at   timestamptz,
    acked_by   text,
    ack_reason text,
    CHECK ((acked_at IS NULL) = (acked_by IS NULL) AND (acked_at IS NULL) = (ack_reason IS NULL))
);
-- "Is it tripped?" reads only the unacknowledged rows.
CREATE INDEX breaker_events_open ON breaker_events (tripped_at) WHERE acked_at IS NULL;
