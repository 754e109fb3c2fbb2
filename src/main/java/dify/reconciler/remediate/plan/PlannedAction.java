package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;

/**
 * One action of a plan: which row of which daemon table (or which object), what to do, and what the finding
 * said. The applier re-checks the finding's condition on the row or object itself before it acts; the other
 * fields are for people and for that re-check (the identifier a refers repair expects, the tenant of an orphan).
 *
 * @param key           object actions: the object acted on (quarantine) or the copy's source
 * @param targetKey     copy actions: where the copy goes
 * @param observed      the version of the finding's subject as the scan saw it (object actions compare it), or null
 * @param observedValue for an update to a value measured outside the database ({@code tenant_storages.size}): the
 *                      column's value as the scan read it (the re-check's compare-and-set); null otherwise
 * @param targetValue   the absolute value that update sets (the bytes the scan measured); null otherwise
 */
public record PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
        String pluginUniqueIdentifier, String pluginId, String tenantId, String detail, String key, String targetKey,
        ObservedVersion observed, Long observedValue, Long targetValue) {

    /** An action whose re-check needs nothing carried from the scan. */
    public PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
            String pluginUniqueIdentifier, String pluginId, String tenantId, String detail) {
        this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null, null, null, null);
    }

    /** An object action. */
    public PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
            String pluginUniqueIdentifier, String pluginId, String tenantId, String detail, String key, String targetKey,
            ObservedVersion observed) {
        this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, key, targetKey, observed, null,
                null);
    }

    /** A row update to a value measured outside the database. */
    public PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
            String pluginUniqueIdentifier, String pluginId, String tenantId, String detail, Long observedValue, Long targetValue) {
        this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null, null, observedValue,
                targetValue);
    }
}
