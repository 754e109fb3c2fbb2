-- The finding ledger at a million findings (issue 20): staged rows arrive by COPY and are merged by hash joins,
-- so the staging table's index only cost time on every staged row (the merge never used it). Dropping an index
-- of our own unlogged staging table is safe with rows in it; a scan in flight merely loses an unused index.
DROP INDEX IF EXISTS scan_findings_run;
