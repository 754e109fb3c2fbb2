package dify.reconciler.remediate.rows;

import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.write.DaemonRowReads;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.StepHook;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A remedy that changes one row: lock it ({@code SELECT … FOR UPDATE}), re-evaluate the finding on it, then
 * quarantine and delete it, or set {@code refers} to the installation count. What the plan saw may be gone (the
 * daemon installed, uninstalled or upgraded since): a changed row yields a skip reason, never a forced change.
 */
abstract class OneRowRemedy extends RowRemedy {

    /** The locked row as row_to_json wrote it; {@code skip} non-null when the action must not be applied. */
    record Verdict(String rowJson, String skip, Long before, Long after) {

        static Verdict skip(String rowJson, String reason) {
            return new Verdict(rowJson, reason, null, null);
        }
    }

    /** Locks the row and re-evaluates the finding on it. */
    abstract Verdict check(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException;

    @Override
    public final Done change(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        Verdict v = check(c, a, changes);
        if (v.skip() != null) {
            return Done.skipped(v.skip());
        }
        StepHook.reached(Step.rechecked(action())); // the row locked, nothing changed yet
        if (action() == RemedyAction.UPDATE_ROW) {
            changes.set(c, a.table(), a.rowId(), v.rowJson(), "refers", v.after());
            return new Done(null, "{\"refers\": " + v.before() + "}", "{\"refers\": " + v.after() + "}",
                    "refers " + v.before() + " -> " + v.after(), changes.rows());
        }
        changes.remove(c, a.table(), a.rowId(), v.rowJson());
        return new Done(null, null, null, "row moved to quarantine", changes.rows());
    }
}
