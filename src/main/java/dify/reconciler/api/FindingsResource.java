package dify.reconciler.api;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ReportDocument.FindingDocument;
import dify.reconciler.run.RunHistory;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * {@code GET /api/v1/findings}: the findings of the latest <em>successful</em> scan, filtered and paged.
 * When a later scan failed, {@code latestRunFailed} says so (the failure itself is in {@code /api/v1/report}).
 * The list is the report's list: capped at {@code reconciler.max-findings-per-report}
 * ({@code findingsTruncated} says when it was cut), so {@code total} counts matches within it. The cap keeps the
 * most severe findings, so {@code severity=critical} lists every critical finding unless there are more of them
 * than the cap.
 */
@Path("/api/v1/findings")
@Produces(MediaType.APPLICATION_JSON)
public class FindingsResource {

    /** One page of findings. */
    public record FindingsPage(String runId, String scanStartedAt, String scanFinishedAt, boolean latestRunFailed,
            boolean findingsTruncated, long total, int offset, int limit, List<FindingDocument> findings) {
    }

    @Inject
    RunHistory history;

    @GET
    public FindingsPage findings(@QueryParam("kind") String kind, @QueryParam("severity") String severity,
            @QueryParam("tenant_id") String tenantId, @QueryParam("plugin_id") String pluginId,
            @QueryParam("offset") String offset, @QueryParam("limit") String limit,
            @QueryParam("page") String page, @QueryParam("size") String size) {
        Predicate<Finding> filter = filter(kind, severity, tenantId, pluginId);
        Paging paging = Paging.of(offset, limit, page, size);
        ScanReport report = history.latestSuccess().orElseThrow(this::noSuccessfulScan);
        List<Finding> matching = report.findings().stream().filter(filter).toList();
        List<FindingDocument> items = matching.stream().skip(paging.offset()).limit(paging.limit())
                .map(f -> FindingDocument.of(f, report.ledger().historyOf(f))).toList();
        boolean latestFailed = history.latest().map(r -> !r.succeeded()).orElse(false);
        return new FindingsPage(report.runId(), report.startedAt().toString(), report.finishedAt().toString(), latestFailed,
                report.findingsTruncated(), matching.size(), paging.offset(), paging.limit(), items);
    }

    static Predicate<Finding> filter(String kind, String severity, String tenantId, String pluginId) {
        Predicate<Finding> filter = f -> true;
        if (kind != null && !kind.isBlank()) {
            FindingKind k = parseKind(kind);
            filter = filter.and(f -> f.kind() == k);
        }
        if (severity != null && !severity.isBlank()) {
            Severity s = parseSeverity(severity);
            filter = filter.and(f -> f.severity() == s);
        }
        if (tenantId != null && !tenantId.isBlank()) {
            filter = filter.and(f -> tenantId.trim().equals(f.tenantId()));
        }
        if (pluginId != null && !pluginId.isBlank()) {
            filter = filter.and(f -> pluginId.trim().equals(f.pluginId()));
        }
        return filter;
    }

    private static FindingKind parseKind(String value) {
        try {
            return FindingKind.parse(value);
        } catch (IllegalArgumentException e) {
            List<String> allowed = Arrays.stream(FindingKind.values()).map(FindingKind::label).toList();
            throw new ApiException(Response.Status.BAD_REQUEST,
                    "kind='" + value + "' is not a finding kind; allowed: " + String.join(", ", allowed), allowed);
        }
    }

    private static Severity parseSeverity(String value) {
        try {
            return Severity.parse(value);
        } catch (IllegalArgumentException e) {
            List<String> allowed = Arrays.stream(Severity.values()).map(Severity::label).toList();
            throw new ApiException(Response.Status.BAD_REQUEST,
                    "severity='" + value + "' is not a severity; allowed: " + String.join(", ", allowed), allowed);
        }
    }

    private ApiException noSuccessfulScan() {
        Optional<ScanReport> latest = history.latest();
        String message = latest.isEmpty()
                ? "no scan has completed yet; the first one starts shortly after start-up (or POST /api/v1/runs)"
                : "no scan has succeeded yet; the last one failed in phase " + latest.get().failedPhase() + ": "
                        + latest.get().error() + " (see /api/v1/report)";
        return new ApiException(Response.Status.SERVICE_UNAVAILABLE, message);
    }
}
