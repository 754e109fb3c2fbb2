package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;

/**
 * One action of a plan: which row of which daemon table (or which object), what to do, and what the finding
 * said. The applier re-checks the finding's condition on the row or object itself before it acts; the other
 * fields are for people and for that re-check (the identifier a refers repair expects, the tenant of an orphan).
 *
 * @param key       object actions: the object acted on (quarantine) or the copy's source
 * @param targetKey copy actions: where the copy goes
 * @param observed  the version of the finding's subject as the scan saw it (object actions compare it), or null
 */
public record PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
        String pluginUniqueIdentifier, String pluginId, String tenantId, String detail, String key, String targetKey,
        ObservedVersion observed) {

    /** A row action (no key). */
    public PlannedAction(String id, FindingKind kind, RemedyAction action, String table, String rowId,
            String pluginUniqueIdentifier, String pluginId, String tenantId, String detail) {
        this(id, kind, action, table, rowId, pluginUniqueIdentifier, pluginId, tenantId, detail, null, null, null);
    }
}
