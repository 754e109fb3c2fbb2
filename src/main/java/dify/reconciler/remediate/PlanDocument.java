package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The plan as written by {@code plan} and read by {@code apply}: labels instead of enum names, times as
 * ISO-8601 text. {@code database} is the database it was made for.
 */
public record PlanDocument(String planId, String createdAt, String expiresAt, boolean dryRun, String database, String runId,
        List<Action> actions, List<Withheld> withheld, long withheldTotal) {

    public record Action(String id, String kind, String action, String table, String rowId, String pluginUniqueIdentifier,
            String pluginId, String tenantId, String detail) {
    }

    public record Withheld(String kind, String reason, String table, String rowId, String key) {
    }

    public static PlanDocument of(RemediationPlan p) {
        return new PlanDocument(p.planId(), p.createdAt().toString(), p.expiresAt().toString(), p.dryRun(), p.database(),
                p.runId(),
                p.actions().stream().map(a -> new Action(a.id(), a.kind().label(), a.action().label(), a.table(), a.rowId(),
                        a.pluginUniqueIdentifier(), a.pluginId(), a.tenantId(), a.detail())).toList(),
                p.withheld().stream().map(w -> new Withheld(w.kind().label(), w.reason().label(), w.table(), w.rowId(), w.key()))
                        .toList(),
                p.withheldTotal());
    }

    /** Back to a plan; throws IllegalArgumentException on a document that is not one of ours. */
    public RemediationPlan toPlan() {
        if (planId == null || createdAt == null || expiresAt == null || database == null || actions == null) {
            throw new IllegalArgumentException("not a remediation plan: planId, createdAt, expiresAt, database and actions are required");
        }
        List<PlannedAction> planned = actions.stream().map(a -> new PlannedAction(a.id(), FindingKind.parse(a.kind()),
                RemedyAction.valueOf(a.action().toUpperCase(Locale.ROOT)), a.table(), a.rowId(),
                a.pluginUniqueIdentifier(), a.pluginId(), a.tenantId(), a.detail())).toList();
        for (PlannedAction a : planned) {
            if (RemediationPolicy.remedyFor(a.kind()).orElse(null) != a.action()) {
                throw new IllegalArgumentException(
                        "action " + a.id() + ": " + a.action().label() + " is not the remedy of " + a.kind().label());
            }
            RowRecheck.requireTable(a);
        }
        return new RemediationPlan(planId, Instant.parse(createdAt), Instant.parse(expiresAt), dryRun, database, runId, planned,
                List.of(), withheldTotal);
    }
}
