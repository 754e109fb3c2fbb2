package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;

/**
 * One action of a plan: which row of which daemon table, what to do, and what the finding said. The applier
 * re-checks the finding's condition on the row itself before it acts; the other fields are for people and
 * for that re-check (the identifier a refers repair expects, the tenant of an orphan).
 *
 * @param observedValue for an update to a value measured outside the database ({@code tenant_storages.size}): the
 *                      column's value as the scan read it (the re-check's compare-and-set); null otherwise
 * @param targetValue   the absolute value that update sets (the bytes the scan measured); null otherwise
 */
public record PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
        String pluginUniqueIdentifier, String pluginId, String tenantId, String detail, Long observedValue, Long targetValue) {

    /** An action whose re-check needs no value carried from the scan. */
    public PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
            String pluginUniqueIdentifier, String pluginId, String tenantId, String detail) {
        this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null);
    }
}
