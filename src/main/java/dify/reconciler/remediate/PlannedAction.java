package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;

/**
 * One action of a plan: which row of which daemon table, what to do, and what the finding said. The applier
 * re-checks the finding's condition on the row itself before it acts; the other fields are for people and
 * for that re-check (the identifier a refers repair expects, the tenant of an orphan).
 */
public record PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
        String pluginUniqueIdentifier, String pluginId, String tenantId, String detail) {
}
