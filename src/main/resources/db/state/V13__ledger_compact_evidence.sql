-- The finding ledger at a million findings, continued (issue 20). A finding's evidence was a jsonb of every field,
-- nulls included, repeating the kind, the severity and the row or key its subject already names: about 600 bytes
-- of COPY text a finding, encoded by the scan and parsed into jsonb by PostgreSQL. Now the plugin identifier, the
-- plugin id and the tenant are columns (the API filters on the last two, with an index), and the rest is a compact
-- JSON text (the merge only compares it, so it is not parsed) without null fields and without what the kind, the
-- subject and the columns already say (LedgerEvidence says how). The view finding_ledger shows the full evidence
-- as before, rebuilt by ledger_evidence() below.

DROP VIEW finding_ledger;

-- Entries as V12 left them: their evidence holds every field (null ones included), so the fields they keep in the
-- compact text are read as written, never from the subject. The next merge rewrites each once in the scan's own form.
ALTER TABLE finding_entries
    ADD COLUMN plugin_unique_identifier text,
    ADD COLUMN plugin_id text,
    ADD COLUMN tenant_id text,
    ADD COLUMN compact_evidence text;
UPDATE finding_entries SET plugin_unique_identifier = evidence->>'pluginUniqueIdentifier', plugin_id = evidence->>'pluginId',
    tenant_id = evidence->>'tenantId',
    compact_evidence = (evidence - 'kind' - 'severity' - 'pluginUniqueIdentifier' - 'pluginId' - 'tenantId')::text;
ALTER TABLE finding_entries DROP COLUMN evidence;
ALTER TABLE finding_entries RENAME COLUMN compact_evidence TO evidence;
ALTER TABLE finding_entries ALTER COLUMN evidence SET NOT NULL;

-- GET /api/v1/ledger?tenant_id= / ?plugin_id=: the open entries of one tenant or plugin, without reading them all.
CREATE INDEX finding_entries_open_by_tenant ON finding_entries (tenant_id) WHERE closed_at IS NULL AND tenant_id IS NOT NULL;
CREATE INDEX finding_entries_open_by_plugin ON finding_entries (plugin_id) WHERE closed_at IS NULL AND plugin_id IS NOT NULL;

-- The staged rows take the same shape. The run is no longer written on every row: a COPY sets it for its
-- transaction (set_config('reconciler.staging_run', ...)) and the column's default reads it; a COPY without it fails.
-- The severity follows from the kind and is not staged.
ALTER TABLE scan_findings
    ADD COLUMN plugin_unique_identifier text,
    ADD COLUMN plugin_id text,
    ADD COLUMN tenant_id text;
UPDATE scan_findings SET plugin_unique_identifier = evidence->>'pluginUniqueIdentifier', plugin_id = evidence->>'pluginId',
    tenant_id = evidence->>'tenantId';
ALTER TABLE scan_findings
    ALTER COLUMN evidence TYPE text USING (evidence - 'kind' - 'severity' - 'pluginUniqueIdentifier' - 'pluginId' - 'tenantId')::text,
    DROP COLUMN severity,
    ALTER COLUMN run_id SET DEFAULT current_setting('reconciler.staging_run')::uuid;
ALTER TABLE scan_findings
    ALTER COLUMN evidence SET STATISTICS 0,
    ALTER COLUMN plugin_unique_identifier SET STATISTICS 0,
    ALTER COLUMN plugin_id SET STATISTICS 0,
    ALTER COLUMN tenant_id SET STATISTICS 0;

-- The full evidence of an entry, as V12 stored it, from its columns and compact evidence: a field present in the
-- compact evidence (null included) is taken as it is; the table and id come from a subject "row:<table>/<id>", the
-- key from "object:<key>", and bytes from the observed size. The same rules as LedgerEvidence.decode.
CREATE FUNCTION ledger_evidence(kind text, severity text, subject text, plugin_unique_identifier text, plugin_id text,
                                tenant_id text, stored text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT jsonb_build_object(
           'kind', kind, 'severity', severity,
           'table', CASE WHEN j ? 'table' THEN j->'table'
                         WHEN left(subject, 4) = 'row:' THEN to_jsonb(split_part(substr(subject, 5), '/', 1)) END,
           'id', CASE WHEN j ? 'id' THEN j->'id'
                      WHEN left(subject, 4) = 'row:' AND strpos(subject, '/') > 0 THEN to_jsonb(substr(subject, strpos(subject, '/') + 1)) END,
           'key', CASE WHEN j ? 'key' THEN j->'key' WHEN left(subject, 7) = 'object:' THEN to_jsonb(substr(subject, 8)) END,
           'pluginUniqueIdentifier', plugin_unique_identifier, 'pluginId', plugin_id, 'tenantId', tenant_id,
           'bytes', CASE WHEN j ? 'bytes' THEN j->'bytes' ELSE j->'observed'->'size' END,
           'detail', j->'detail')
       || CASE WHEN j ? 'observed' THEN jsonb_build_object('observed', j->'observed') ELSE '{}'::jsonb END
FROM (SELECT stored::jsonb AS j) AS s
$$;

-- The same columns as V12's view, then the new ones: readers that read the evidence whole (the API, plans) read the
-- columns and the compact evidence and skip building it.
CREATE VIEW finding_ledger AS
SELECT e.id, e.kind, e.subject, e.severity, e.first_seen,
       coalesce(e.last_seen, (SELECT s.last_seen FROM ledger_scans s)) AS last_seen,
       coalesce(e.consecutive_scans, ((SELECT s.scans FROM ledger_scans s) - e.first_scan + 1)::integer) AS consecutive_scans,
       coalesce(e.last_run, (SELECT s.last_run FROM ledger_scans s)) AS last_run,
       ledger_evidence(e.kind, e.severity, e.subject, e.plugin_unique_identifier, e.plugin_id, e.tenant_id, e.evidence) AS evidence,
       e.closed_at, e.plugin_unique_identifier, e.plugin_id, e.tenant_id, e.evidence AS compact_evidence
FROM finding_entries e;
