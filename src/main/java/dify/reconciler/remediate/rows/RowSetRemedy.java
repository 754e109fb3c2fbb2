package dify.reconciler.remediate.rows;

import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.write.DaemonRowReads;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.StepHook;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A remedy that changes the rows the daemon's own transactions change together (sections 5 and 9 of the daemon
 * notes), or that sets a value measured outside the database: it locks the rows in the daemon's order (the
 * {@code plugins} row first, as install and uninstall do), re-evaluates the finding, then quarantines and changes
 * every row it removes or updates. Its step boundaries: rows changed (not committed), and last looked (the commit
 * is next).
 */
abstract class RowSetRemedy extends RowRemedy {

    /** Locks, re-checks and changes the rows; a skip reason when the finding no longer holds. */
    abstract Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException;

    /** The remedy's own last look; null when the commit may go ahead. */
    String lookLast(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return null;
    }

    @Override
    public final Done change(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        Done d = changeRows(c, a, changes);
        StepHook.reached(Step.rowsChanged(action())); // locked and changed, not committed
        return d;
    }

    @Override
    public final String lastLook(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        String skip = lookLast(c, a, reads);
        if (skip == null) {
            StepHook.reached(Step.lastLooked(action())); // no install in flight at the last look; the commit is next
        }
        return skip;
    }
}
