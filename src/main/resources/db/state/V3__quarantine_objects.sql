-- Remediation of objects: the old bytes of every object we removed or overwrote are copied under
-- reconciler.remediation.quarantine-prefix first; every object we created is recorded, so restore can remove it.

-- One row per object an action touched, written (as intent) before the storage write.
CREATE TABLE quarantine_objects (
    id             bigserial   PRIMARY KEY,
    action_id      text        NOT NULL,
    action         text        NOT NULL,
    -- the daemon's key we removed, overwrote or created
    original_key   text        NOT NULL,
    -- where its old bytes are; null for an object we created (nothing was there)
    quarantine_key text,
    -- the version of the old object (quarantined) or of the object we wrote (created)
    size           bigint,
    etag           text,
    last_modified  timestamptz,
    -- true: we created original_key, and restore deletes it (if unchanged since)
    created        boolean     NOT NULL,
    quarantined_at timestamptz NOT NULL,
    restored_at    timestamptz,
    purged_at      timestamptz
);
CREATE INDEX quarantine_objects_action ON quarantine_objects (action_id);

-- Object actions name a key (and a target key for copies) instead of a table row.
ALTER TABLE remediation_actions ALTER COLUMN table_name DROP NOT NULL;
ALTER TABLE remediation_actions ALTER COLUMN row_id DROP NOT NULL;
ALTER TABLE remediation_actions ADD COLUMN object_key text;
ALTER TABLE remediation_actions ADD COLUMN target_key text;
