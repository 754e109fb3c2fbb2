package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.objects.ObjectRemedy;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.Remedy;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * A remedy on the daemon's rows. Its {@link #change} runs inside the action's transaction, begun by the
 * {@link dify.reconciler.remediate.apply.RowRemedyApplier RowRemedyApplier} (READ COMMITTED, {@code SET LOCAL} timeouts): it locks the rows, re-evaluates the
 * finding on them and changes them through {@link RowChanges} (each row quarantined first). A changed target yields a
 * skip reason and the applier rolls back; nothing is forced. The applier audits and commits.
 */
public abstract class RowRemedy implements Remedy {

    /**
     * What was done: {@code skip} non-null when nothing may be (the applier rolls back); {@code changed} every row
     * changed, as it was before (told to the cache clearing after the commit); {@code before}/{@code after} the
     * values set, for the audit.
     */
    public record Done(String skip, String before, String after, String detail, List<ChangedRow> changed) {

        static Done skipped(String reason) {
            return new Done(reason, null, null, null, List.of());
        }
    }

    @Override
    public PlannedAction plan(Finding f, String id, StorageLayout layout) {
        return new PlannedAction(id, f.kind(), action(), f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                f.detail());
    }

    @Override
    public final String refusal(PlannedAction a, StorageLayout layout) {
        return tableAllowed(a) && a.rowId() != null
                ? null
                : "a " + a.kind().label() + " action on table " + a.table() + " is not one we make";
    }

    /** Whether the plan's table (and values) are ones this remedy changes. */
    abstract boolean tableAllowed(PlannedAction a);

    /** Locks, re-checks and changes the action's rows in {@code c}; reaches the remedy's step boundaries. */
    public abstract Done change(Connection c, PlannedAction a, RowChanges changes) throws SQLException;

    /**
     * The last look before commit, with every row still locked and changed; null when the commit may go ahead.
     */
    public String lastLook(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return null;
    }

    /**
     * Whether the remedy removes rows a daemon install reads and does not write itself, so an install that started
     * just before our commit needs them put back ({@link dify.reconciler.remediate.apply.InstallRace InstallRace}).
     */
    public boolean racesInstalls() {
        return false;
    }

    /**
     * The object remedy that completes this action once its rows are committed (the daemon's last uninstall deletes
     * {@code plugin/U} after its transaction), with the key it acts on; null when the action is rows only.
     */
    public ObjectRemedy followingObject() {
        return null;
    }

    /** The key {@link #followingObject()} acts on. */
    public String followingKey(PlannedAction a, StorageLayout layout) {
        return null;
    }
}
