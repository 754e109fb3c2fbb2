-- Crash safety of multi-step object actions: an entry is complete once its action's last storage step is done
-- and audited. An entry neither complete, restored nor purged belongs to an action a killed process left half
-- done; `recover` (and every apply, first) rolls it back or completes it.
ALTER TABLE quarantine_objects ADD COLUMN completed_at timestamptz;
-- Entries written before this column existed were recorded by finished actions (or restore handles them).
UPDATE quarantine_objects SET completed_at = quarantined_at;
