-- The finding ledger at a million findings (issue 20): staged rows arrive by COPY and are merged by hash joins,
-- so the staging table's index only cost time on every staged row (the merge never used it). Dropping an index
-- of our own unlogged staging table is safe with rows in it; a scan in flight merely loses an unused index.
DROP INDEX IF EXISTS scan_findings_run;
-- The open entries of a kind, oldest first: a plan reads the first few hundred of them in this order (confirmed
-- first) and the oldest-finding gauge takes the first of each kind, so neither sorts a million entries. Built
-- once on the existing entries; only our own table is locked while it is.
CREATE INDEX finding_ledger_open_by_age ON finding_ledger (kind, first_seen, id) WHERE closed_at IS NULL;
