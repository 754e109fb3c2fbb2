-- Purge: the audit records that a quarantined copy was deleted after the retention (outcome 'purged').
ALTER TABLE remediation_actions DROP CONSTRAINT remediation_actions_outcome_check;
ALTER TABLE remediation_actions ADD CONSTRAINT remediation_actions_outcome_check
    CHECK (outcome IN ('planned', 'applied', 'skipped_changed', 'failed', 'dry_run', 'withheld', 'restored',
                       'restore_refused', 'purged'));

-- restore --run and GET /api/v1/actions?run=… look actions up by run.
CREATE INDEX remediation_actions_run ON remediation_actions (run_id);

-- Purge and the quarantine gauge read the items not restored yet, oldest first.
CREATE INDEX quarantine_rows_pending ON quarantine_rows (quarantined_at) WHERE restored_at IS NULL;
