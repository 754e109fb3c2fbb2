package dify.reconciler.remediate.planner;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemedyAction;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The plan as written by {@code plan} and read by {@code apply}: labels instead of enum names, times as
 * ISO-8601 text. {@code database} is the database it was made for. A plan carries no mode (it is applied armed or only
 * shown, as the process that applies it is configured); the {@code dryRun} field older versions wrote is ignored.
 */
@JsonIgnoreProperties({"dryRun"})
public record PlanDocument(String planId, String createdAt, String expiresAt, String database, String runId,
        List<Action> actions, List<Withheld> withheld, long withheldTotal, List<Guard> guards) {

    /** A document without {@code guards} (written before guards existed, or by hand): none tripped. */
    public PlanDocument(String planId, String createdAt, String expiresAt, String database, String runId,
            List<Action> actions, List<Withheld> withheld, long withheldTotal) {
        this(planId, createdAt, expiresAt, database, runId, actions, withheld, withheldTotal, List.of());
    }

    /** A guard that stopped the whole plan: {@code guard} is its label ({@code cap}, {@code empty_listing}, …). */
    public record Guard(String guard, String detail) {
    }

    /**
     * {@code key}, {@code targetKey} and {@code observed} are for object actions (null for rows); {@code observedValue}
     * and {@code targetValue}: see {@link PlannedAction}, absent for most kinds.
     */
    public record Action(String id, String kind, String action, String table, String rowId, String pluginUniqueIdentifier,
            String pluginId, String tenantId, String detail, String key, String targetKey, Version observed, Long observedValue,
            Long targetValue) {

        public Action(String id, String kind, String action, String table, String rowId, String pluginUniqueIdentifier,
                String pluginId, String tenantId, String detail) {
            this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null, null, null, null);
        }

        public Action(String id, String kind, String action, String table, String rowId, String pluginUniqueIdentifier,
                String pluginId, String tenantId, String detail, String key, String targetKey, Version observed) {
            this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, key, targetKey, observed, null,
                    null);
        }

        public Action(String id, String kind, String action, String table, String rowId, String pluginUniqueIdentifier,
                String pluginId, String tenantId, String detail, Long observedValue, Long targetValue) {
            this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null, null, observedValue,
                    targetValue);
        }
    }

    /** An object's version as the scan saw it: compared before the object is copied or deleted. */
    public record Version(Long size, String etag, String lastModified) {

        static Version of(ObservedVersion v) {
            return v == null || v.size() == null
                    ? null
                    : new Version(v.size(), v.etag(), v.lastModified() == null ? null : v.lastModified().toString());
        }

        ObservedVersion toObserved() {
            return ObservedVersion.object(size == null ? -1 : size, lastModified == null ? null : Instant.parse(lastModified), etag);
        }
    }

    public record Withheld(String kind, String reason, String table, String rowId, String key) {
    }

    public static PlanDocument of(RemediationPlan p) {
        return new PlanDocument(p.planId(), p.createdAt().toString(), p.expiresAt().toString(), p.database(),
                p.runId(),
                p.actions().stream().map(a -> new Action(a.id(), a.kind().label(), a.action().label(), a.table(), a.rowId(),
                        a.pluginUniqueIdentifier(), a.pluginId(), a.tenantId(), a.detail(), a.key(), a.targetKey(),
                        a.action().onObject() ? Version.of(a.observed()) : null, a.observedValue(), a.targetValue())).toList(),
                p.withheld().stream().map(w -> new Withheld(w.kind().label(), w.reason().label(), w.table(), w.rowId(), w.key()))
                        .toList(),
                p.withheldTotal(), p.guards().stream().map(g -> new Guard(g.guard().label(), g.detail())).toList());
    }

    /** Back to a plan for the default layout; see {@link #toPlan(StorageLayout)}. */
    public RemediationPlan toPlan() {
        return toPlan(StorageLayout.DEFAULT);
    }

    /**
     * Back to a plan; throws IllegalArgumentException on a document that is not one of ours, including an object
     * action whose keys are not under its kind's daemon prefixes in {@code layout}.
     */
    public RemediationPlan toPlan(StorageLayout layout) {
        if (planId == null || createdAt == null || expiresAt == null || database == null || actions == null) {
            throw new IllegalArgumentException("not a remediation plan: planId, createdAt, expiresAt, database and actions are required");
        }
        List<PlannedAction> planned = actions.stream().map(a -> new PlannedAction(a.id(), FindingKind.parse(a.kind()),
                RemedyAction.valueOf(a.action().toUpperCase(Locale.ROOT)), a.table(), a.rowId(),
                a.pluginUniqueIdentifier(), a.pluginId(), a.tenantId(), a.detail(), a.key(), a.targetKey(),
                a.observed() == null ? null : a.observed().toObserved(), a.observedValue(), a.targetValue())).toList();
        for (PlannedAction a : planned) {
            String refusal = ActionsWeMake.refusal(a, layout);
            if (refusal != null) {
                throw new IllegalArgumentException(refusal);
            }
        }
        List<GuardTrip> trips = guards == null
                ? List.of()
                : guards.stream().map(g -> new GuardTrip(GuardName.parse(g.guard()), g.detail())).toList();
        if (!trips.isEmpty() && !planned.isEmpty()) {
            throw new IllegalArgumentException("a plan that guards stopped has no actions, this one has " + planned.size());
        }
        return new RemediationPlan(planId, Instant.parse(createdAt), Instant.parse(expiresAt), database, runId, planned,
                List.of(), withheldTotal, trips);
    }
}
