-- The finding ledger at a million findings, continued (issue 20). The ledger's key columns (kind, subject) and the
-- API's filter columns (tenant_id, plugin_id) compare in byte order (COLLATE "C") instead of the database's default
-- collation. With a linguistic default (ICU or glibc en-US, as most databases and the tests' cluster have), every
-- B-tree comparison of two different values was a collation library call instead of a memcmp: a first scan's insert of
-- a million entries makes about ten of them per entry in the unique (kind, subject) index alone, more in the tenant
-- index, whose keys do not arrive in order (docs/benchmark.md has the measurements).
--
-- Nothing changes which rows a query returns: equality is bytewise under any deterministic collation, so the unique
-- index accepts and rejects the same entries. Order changes only where a reader sorts on these columns: the API sorts
-- by kind, whose labels (lowercase letters and underscores) sort the same in both; nothing sorts by subject, tenant or
-- plugin. A comparison of one of these columns with a value of the default collation (a bound parameter, another
-- table's column) takes the column's collation, so the indexes still serve it.
--
-- What it costs at start-up: the columns' type does not change, so no table is rewritten, but every index on them is
-- rebuilt: the unique (kind, subject), finding_ledger_open_by_age (kind, first_seen, id) and the tenant and plugin
-- indexes, all partial on the open entries. At a million open entries that took 9-13 s on a busy machine (3.2-3.7 s of
-- the server's CPU; docs/benchmark.md). Only our own tables are locked, finding_entries and scan_findings (ACCESS EXCLUSIVE,
-- for as long as the rebuild takes): the API's ledger page and a scan's merge wait for it; the daemon's tables are not
-- touched.

-- The view depends on the columns: dropped, and re-created exactly as V13 defined it.
DROP VIEW finding_ledger;

ALTER TABLE finding_entries
    ALTER COLUMN kind TYPE text COLLATE "C",
    ALTER COLUMN subject TYPE text COLLATE "C",
    ALTER COLUMN tenant_id TYPE text COLLATE "C",
    ALTER COLUMN plugin_id TYPE text COLLATE "C";

-- The staged rows' columns the merge compares with them, alike (no index; the statistics targets V12-V14 set stay).
ALTER TABLE scan_findings
    ALTER COLUMN kind TYPE text COLLATE "C",
    ALTER COLUMN subject TYPE text COLLATE "C",
    ALTER COLUMN tenant_id TYPE text COLLATE "C",
    ALTER COLUMN plugin_id TYPE text COLLATE "C";

CREATE VIEW finding_ledger AS
SELECT e.id, e.kind, e.subject, e.severity, e.first_seen,
       coalesce(e.last_seen, (SELECT s.last_seen FROM ledger_scans s)) AS last_seen,
       coalesce(e.consecutive_scans, ((SELECT s.scans FROM ledger_scans s) - e.first_scan + 1)::integer) AS consecutive_scans,
       coalesce(e.last_run, (SELECT s.last_run FROM ledger_scans s)) AS last_run,
       ledger_evidence(e.kind, e.severity, e.subject, e.plugin_unique_identifier, e.plugin_id, e.tenant_id, e.evidence) AS evidence,
       e.closed_at, e.plugin_unique_identifier, e.plugin_id, e.tenant_id, e.evidence AS compact_evidence
FROM finding_entries e;
