-- The webhook's memory (reconciler.notify.webhook-url): per channel, the last state a receiver accepted (the
-- fingerprint of the critical findings' set; 'failing' or 'succeeding' for runs), so the same set is not sent
-- again after a restart or by another replica. One row per channel, overwritten.
CREATE TABLE notify_state (
    channel      text        PRIMARY KEY,
    state        text        NOT NULL,
    delivered_at timestamptz NOT NULL
);
