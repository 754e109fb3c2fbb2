-- What became of the daemon's cached copies of a changed row (Redis keys deleted, not cached, failed, or no Redis
-- configured), written after the action's commit into its applied or restored audit row; null for other outcomes
-- and for actions applied before this column existed.
ALTER TABLE remediation_actions ADD COLUMN cache text;
