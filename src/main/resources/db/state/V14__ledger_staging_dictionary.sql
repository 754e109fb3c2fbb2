-- The finding ledger at a million findings, continued (issue 20). A staged finding repeated the same strings on
-- every row: the kind's label, the plugin identifier (80 characters), the plugin id, the tenant and, for most kinds,
-- the same compact evidence (the detail is one text per kind). Now a scan keeps a small dictionary of the strings it
-- has sent (a bounded number, per run, in the scan's memory) and stages each repeated one as a number; the merge
-- binds the dictionary once and joins it back. A value the dictionary has no room for is staged as text, as before.
-- The text columns stay as they were, so a scan still running on the previous release (a rolling upgrade) stages and
-- merges its rows unchanged; a row holds either the code or the text of each value, never both.
ALTER TABLE scan_findings
    ALTER COLUMN kind DROP NOT NULL,
    ALTER COLUMN evidence DROP NOT NULL,
    ADD COLUMN kind_code integer,
    ADD COLUMN identifier_code integer,
    ADD COLUMN plugin_code integer,
    ADD COLUMN tenant_code integer,
    ADD COLUMN evidence_code integer;
ALTER TABLE scan_findings
    ALTER COLUMN kind_code SET STATISTICS 10,
    ALTER COLUMN identifier_code SET STATISTICS 0,
    ALTER COLUMN plugin_code SET STATISTICS 0,
    ALTER COLUMN tenant_code SET STATISTICS 0,
    ALTER COLUMN evidence_code SET STATISTICS 0;
