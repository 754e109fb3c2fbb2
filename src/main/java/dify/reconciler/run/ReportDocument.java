package dify.reconciler.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.Severity;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.FindingHistory;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON shape of a report (one-shot {@code --output}, {@code GET /api/v1/report}): a top-level
 * {@code findings} array plus a summary and what was scanned. Labels are the catalog's snake_case names.
 */
public record ReportDocument(
        String runId,
        String result,
        String error,
        String failedPhase,
        String startedAt,
        String finishedAt,
        double durationSeconds,
        Map<String, Object> scanned,
        Map<String, Object> summary,
        List<FindingDocument> findings,
        boolean findingsTruncated,
        Map<String, Double> phaseSeconds,
        List<String> notes,
        Map<String, String> state) {

    /**
     * One finding as JSON; absent fields are null. {@code firstSeen} and {@code consecutiveScans} come from the
     * finding ledger: when a successful scan first saw it and how many successful scans in a row have seen it.
     */
    public record FindingDocument(String kind, String severity, String table, String id, String key,
            String pluginUniqueIdentifier, String pluginId, String tenantId, Long bytes, String detail,
            ObservedDocument observed, String firstSeen, Integer consecutiveScans) {

        public static FindingDocument of(Finding f, FindingHistory history) {
            return new FindingDocument(f.kind().label(), f.severity().label(), f.table(), f.id(), f.key(),
                    f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(), f.bytes(), f.detail(),
                    ObservedDocument.of(f.observed()),
                    history == null ? null : history.firstSeen().toString(),
                    history == null ? null : history.consecutiveScans());
        }
    }

    /** The observed version of a finding's subject as JSON: only the facts that apply (a row's or an object's). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ObservedDocument(String changedAt, Long size, String lastModified, String etag) {

        static ObservedDocument of(ObservedVersion v) {
            if (v == null) {
                return null;
            }
            return new ObservedDocument(text(v.changedAt()), v.size(), text(v.lastModified()), v.etag());
        }

        private static String text(Instant instant) {
            return instant == null ? null : instant.toString();
        }
    }

    public static ReportDocument of(ScanReport r) {
        Map<String, Object> scanned = new LinkedHashMap<>();
        Map<String, Object> summary = new LinkedHashMap<>();
        if (r.scope() != null) {
            ScanReport.Scope s = r.scope();
            scanned.put("storageType", s.storageType());
            scanned.put("storage", s.storage());
            scanned.put("database", s.database());
            scanned.put("deepVerify", s.deepVerify());
            if (s.deepVerify()) {
                scanned.put("packageBytesRead", s.packageBytesRead());
                scanned.put("packagesVerifiedFromCache", s.packagesVerifiedFromCache());
            }
            scanned.put("gracePeriodSeconds", s.gracePeriod().toSeconds());
            scanned.put("rows", s.rowsScanned());
            scanned.put("objects", s.objectsListed());
            scanned.put("skippedTables", s.skippedTables());
            if (s.workingPath() != null) {
                scanned.put("workingPath", s.workingPath());
            }
            scanned.put("checksNotRun", s.checksNotRun());
        }
        if (r.summary() != null) {
            ScanReport.Summary s = r.summary();
            summary.put("total", s.total());
            Map<String, Long> bySeverity = new LinkedHashMap<>();
            for (Severity sev : new Severity[] {Severity.CRITICAL, Severity.WARNING, Severity.INFO}) {
                bySeverity.put(sev.label(), s.bySeverity().getOrDefault(sev, 0L));
            }
            summary.put("bySeverity", bySeverity);
            Map<String, Long> byKind = new LinkedHashMap<>();
            for (FindingKind k : FindingKind.values()) {
                byKind.put(k.label(), s.byKind().getOrDefault(k, 0L));
            }
            summary.put("byKind", byKind);
            Map<String, Long> bytes = new LinkedHashMap<>();
            s.bytesByKind().forEach((k, v) -> bytes.put(k.label(), v));
            summary.put("bytesByKind", bytes);
            summary.put("rowsInGrace", s.rowsInGrace());
            summary.put("objectsInGrace", s.objectsInGrace());
            summary.put("unrecognizedKeys", s.unrecognizedKeys());
            summary.put("packagesUnverified", s.packagesUnverified());
        }
        Map<String, Double> phases = new LinkedHashMap<>();
        r.phaseDurations().forEach((p, d) -> phases.put(p, d.toNanos() / 1e9));
        return new ReportDocument(r.runId(), r.result().name().toLowerCase(Locale.ROOT), r.error(), r.failedPhase(),
                r.startedAt().toString(), r.finishedAt().toString(), r.duration().toNanos() / 1e9, scanned, summary,
                r.findings().stream().map(f -> FindingDocument.of(f, r.ledger().historyOf(f))).toList(), r.findingsTruncated(),
                phases, r.notes(), state(r.state()));
    }

    private static Map<String, String> state(ScanReport.State state) {
        Map<String, String> document = new LinkedHashMap<>();
        if (state != null) {
            document.put("mode", state.mode());
            if (state.reason() != null) {
                document.put("reason", state.reason());
            }
        }
        return document;
    }
}
