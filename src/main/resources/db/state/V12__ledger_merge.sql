-- The finding ledger at a million findings, continued (issue 20). A scan that sees an open entry again with the
-- same evidence no longer rewrites it: how many scans in a row saw an open entry, when and by which run it was
-- last seen are the ledger's own counters (ledger_scans), not columns updated on every entry by every scan.
-- Before this, the second scan of a million findings rewrote a million rows (a new version of each, its index
-- entries, and as much dead space for VACUUM); now it writes only what changed.

-- One row: the number of scans merged into the ledger so far, and the last one (its run and start time).
CREATE TABLE ledger_scans (
    singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    scans     bigint      NOT NULL,
    last_run  uuid,
    last_seen timestamptz
);
INSERT INTO ledger_scans (scans) VALUES (0);

-- The entries. An open entry that a merge has seen since this migration is "counted": last_seen, last_run and
-- consecutive_scans are null and derive from ledger_scans and first_scan (the scan number that opened it, or
-- where its run began), because an open entry was seen by every merged scan since then (a scan that does not
-- see it closes it). Closing an entry writes the three values down. Entries from before this migration keep
-- their values until the next merge sees (and counts) or closes them.
ALTER TABLE finding_ledger RENAME TO finding_entries;
ALTER TABLE finding_entries
    ADD COLUMN first_scan bigint,
    ALTER COLUMN last_seen DROP NOT NULL,
    ALTER COLUMN consecutive_scans DROP NOT NULL,
    ALTER COLUMN last_run DROP NOT NULL,
    ADD CONSTRAINT finding_entries_counted CHECK (
        (last_seen IS NULL AND last_run IS NULL AND consecutive_scans IS NULL AND first_scan IS NOT NULL AND closed_at IS NULL)
        OR (last_seen IS NOT NULL AND last_run IS NOT NULL AND consecutive_scans IS NOT NULL));

-- What every reader used before (API, console, plans, tests) under the same name and columns. It is a simple
-- view: the planner sees through it (the indexes of finding_entries serve it), and UPDATE or DELETE of the
-- stored columns through it works.
CREATE VIEW finding_ledger AS
SELECT e.id, e.kind, e.subject, e.severity, e.first_seen,
       coalesce(e.last_seen, (SELECT s.last_seen FROM ledger_scans s)) AS last_seen,
       coalesce(e.consecutive_scans, ((SELECT s.scans FROM ledger_scans s) - e.first_scan + 1)::integer) AS consecutive_scans,
       coalesce(e.last_run, (SELECT s.last_run FROM ledger_scans s)) AS last_run,
       e.evidence, e.closed_at
FROM finding_entries e;

-- The merge ANALYZEs the staged rows so the planner hashes them; a small sample is enough for that (row count
-- and distinct subjects), and the evidence needs no statistics at all.
ALTER TABLE scan_findings
    ALTER COLUMN run_id SET STATISTICS 10,
    ALTER COLUMN kind SET STATISTICS 10,
    ALTER COLUMN subject SET STATISTICS 10,
    ALTER COLUMN severity SET STATISTICS 0,
    ALTER COLUMN evidence SET STATISTICS 0;
