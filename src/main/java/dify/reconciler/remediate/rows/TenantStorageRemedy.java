package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code tenant_storage_drift}: set {@code tenant_storages.size} to the bytes the scan measured, only while the
 * column still holds the value the scan read (the store cannot be re-measured inside a transaction).
 */
public final class TenantStorageRemedy extends RowSetRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.TENANT_STORAGE_DRIFT);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.UPDATE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.TENANT_STORAGES);
    }

    /** The value the scan read (compare-and-set at apply) and the measured value to set. */
    @Override
    public PlannedAction plan(Finding f, String id, StorageLayout layout) {
        return new PlannedAction(id, f.kind(), action(), f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                f.detail(), null, null, null, observedValue(f), f.bytes());
    }

    @Override
    public WithheldReason withhold(Finding f, Instant now, RemediationPolicy policy) {
        // recorded by an older version without the measurement: the next scan has it
        return observedValue(f) == null || f.bytes() == null ? WithheldReason.UNCONFIRMED : null;
    }

    private static Long observedValue(Finding f) {
        return f.observed() != null ? f.observed().size() : null;
    }

    /** The absolute value to set and the value it replaces both come from the scan: without them, no action. */
    @Override
    boolean tableAllowed(PlannedAction a) {
        return DaemonSchema.TENANT_STORAGES.equals(a.table()) && a.observedValue() != null && a.targetValue() != null
                && a.targetValue() >= 0;
    }

    @Override
    Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        List<DaemonRowReads.Locked> rows = changes.lockById(c, DaemonSchema.TENANT_STORAGES, a.rowId(),
                List.of("t.tenant_id::text", "t.plugin_id", "t.size::text"), DaemonRowReads.Wait.WAIT);
        if (rows.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        DaemonRowReads.Locked row = rows.get(0);
        if (!Objects.equals(row.values().get(0), a.tenantId()) || !Objects.equals(row.values().get(1), a.pluginId())) {
            return Done.skipped("the row's tenant or plugin id changed");
        }
        long size = Long.parseLong(row.values().get(2));
        if (size != a.observedValue()) {
            return Done.skipped("size is " + size + " now, not the " + a.observedValue() + " the scan compared: the daemon"
                    + " recorded a new size since");
        }
        changes.set(c, DaemonSchema.TENANT_STORAGES, a.rowId(), row.json(), "size", a.targetValue());
        return new Done(null, "{\"size\": " + size + "}", "{\"size\": " + a.targetValue() + "}",
                "size " + size + " -> " + a.targetValue() + " (the bytes stored)", changes.rows());
    }
}
