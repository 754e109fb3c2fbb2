package dify.reconciler.notify;

import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.Severity;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.report.ScanReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The JSON bodies of the notices. Each has a {@code text} (what a Slack incoming webhook shows, as is) and the same
 * facts as fields: {@code event}, {@code instance}, {@code runId}, {@code at}, and per event the counts, critical
 * kinds and first findings, or the failure, or the trip; {@code links} when {@code reconciler.notify.link-base} is
 * set. Only what the report and the breaker already show: identifiers, keys, counts, never a credential.
 */
public final class NoticePayloads {

    /** Findings listed in a critical-set notice; the counts cover the rest. */
    public static final int FINDINGS_LISTED = 5;

    private static final String NAME = "dify-plugin-reconciler";

    private final String instance;
    private final String linkBase;

    /** {@code linkBase} without a trailing slash is given one, so links resolve beneath it. */
    public NoticePayloads(String instance, Optional<String> linkBase) {
        this.instance = instance;
        this.linkBase = linkBase.map(String::trim).filter(b -> !b.isEmpty()).map(b -> b.endsWith("/") ? b : b + "/").orElse(null);
    }

    public Map<String, Object> criticalFindingsChanged(ScanReport report, CriticalSet set) {
        Map<String, Object> body = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder();
        if (set.total() == 0) {
            text.append(NAME).append(" on ").append(instance).append(": no critical findings");
        } else {
            text.append(NAME).append(" on ").append(instance).append(": ").append(set.total()).append(" critical finding")
                    .append(set.total() == 1 ? "" : "s").append(" (");
            List<String> kinds = new ArrayList<>();
            set.countsByKind().forEach((kind, n) -> kinds.add(kind.label() + " " + n));
            text.append(String.join(", ", kinds)).append(')');
            for (Finding f : set.findings().subList(0, Math.min(FINDINGS_LISTED, set.findings().size()))) {
                text.append("\n• ").append(f.kind().label()).append(' ').append(subject(f)).append(": ").append(f.detail());
            }
            if (set.findings().size() > FINDINGS_LISTED || set.total() > set.findings().size()) {
                text.append("\n… and ").append(set.total() - Math.min(FINDINGS_LISTED, set.findings().size())).append(" more");
            }
        }
        link(text, "report", "api/v1/report");
        body.put("text", text.toString());
        head(body, NoticeEvent.CRITICAL_FINDINGS_CHANGED, report.runId(), report.finishedAt().toString());
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("total", report.summary().total());
        for (Severity s : new Severity[] {Severity.CRITICAL, Severity.WARNING, Severity.INFO}) {
            counts.put(s.label(), report.summary().bySeverity().getOrDefault(s, 0L));
        }
        body.put("counts", counts);
        Map<String, Long> kinds = new LinkedHashMap<>();
        set.countsByKind().forEach((kind, n) -> kinds.put(kind.label(), n));
        body.put("criticalKinds", kinds);
        List<Map<String, Object>> listed = new ArrayList<>();
        for (Finding f : set.findings().subList(0, Math.min(FINDINGS_LISTED, set.findings().size()))) {
            listed.add(finding(f));
        }
        body.put("findings", listed);
        links(body, "report", "api/v1/report");
        return body;
    }

    public Map<String, Object> runFailed(ScanReport report) {
        Map<String, Object> body = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder(NAME + " on " + instance + ": scan " + report.runId() + " failed in phase "
                + report.failedPhase() + ": " + report.error()
                + "\nThe findings, metrics and readiness keep the last successful scan until a scan succeeds again.");
        link(text, "runs", "api/v1/runs");
        body.put("text", text.toString());
        head(body, NoticeEvent.RUN_FAILED, report.runId(), report.finishedAt().toString());
        body.put("failedPhase", report.failedPhase());
        body.put("error", report.error());
        links(body, "runs", "api/v1/runs");
        return body;
    }

    public Map<String, Object> breakerTripped(BreakerEvent trip) {
        Map<String, Object> body = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder(NAME + " on " + instance + ": remediation breaker tripped by " + trip.guard() + ": "
                + trip.detail() + " (plan " + trip.planId() + ")"
                + "\nNothing is applied until someone acknowledges it ('breaker ack --reason TEXT' or POST /api/v1/breaker/ack).");
        link(text, "breaker", "api/v1/breaker");
        body.put("text", text.toString());
        head(body, NoticeEvent.BREAKER_TRIPPED, trip.runId(), trip.trippedAt().toString());
        body.put("guard", trip.guard());
        body.put("detail", trip.detail());
        body.put("planId", trip.planId());
        links(body, "breaker", "api/v1/breaker");
        return body;
    }

    public Map<String, Object> planAwaitsApproval(PublishedPlan plan) {
        Map<String, Object> body = new LinkedHashMap<>();
        int actions = plan.plan().actions().size();
        Map<String, Long> kinds = new LinkedHashMap<>();
        plan.plan().actions().forEach(a -> kinds.merge(a.kind(), 1L, Long::sum));
        List<String> listed = new ArrayList<>();
        kinds.forEach((kind, n) -> listed.add(kind + " " + n));
        StringBuilder text = new StringBuilder(NAME + " on " + instance + ": remediation plan " + plan.planId() + " awaits approval ("
                + actions + " action" + (actions == 1 ? "" : "s") + ": " + String.join(", ", listed) + ") until " + plan.expiresAt()
                + "\nApprove with POST /api/v1/plans/" + plan.planId() + "/approve; a newer scan's plan replaces it.");
        link(text, "plan", "api/v1/plans/pending");
        body.put("text", text.toString());
        head(body, NoticeEvent.PLAN_AWAITS_APPROVAL, plan.runId(), plan.createdAt().toString());
        body.put("planId", plan.planId());
        body.put("expiresAt", plan.expiresAt().toString());
        body.put("actions", actions);
        body.put("kinds", kinds);
        links(body, "plan", "api/v1/plans/pending");
        return body;
    }

    private void head(Map<String, Object> body, NoticeEvent event, String runId, String at) {
        body.put("event", event.label());
        body.put("instance", instance);
        body.put("runId", runId);
        body.put("at", at);
    }

    private void link(StringBuilder text, String name, String path) {
        if (linkBase != null) {
            text.append("\n").append(capitalized(name)).append(": ").append(linkBase).append(path);
        }
    }

    private void links(Map<String, Object> body, String name, String path) {
        if (linkBase != null) {
            body.put("links", Map.of(name, linkBase + path));
        }
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static Map<String, Object> finding(Finding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", f.kind().label());
        m.put("severity", f.severity().label());
        m.put("table", f.table());
        m.put("id", f.id());
        m.put("key", f.key());
        m.put("pluginUniqueIdentifier", f.pluginUniqueIdentifier());
        m.put("tenantId", f.tenantId());
        m.put("detail", f.detail());
        return m;
    }

    private static String subject(Finding f) {
        if (f.key() != null) {
            return f.key();
        }
        return f.table() + "/" + f.id();
    }
}
