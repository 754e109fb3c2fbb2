package dify.reconciler.remediate.rows;

import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.remediate.record.QuarantineRows;
import dify.reconciler.remediate.write.DaemonRowReads;
import dify.reconciler.remediate.write.WriteTransactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One action's changes to the daemon's rows, inside its transaction: each row is quarantined under the action's id
 * first, then removed or updated (exactly one row, else the transaction fails), and remembered for the cache
 * clearing after the commit. The only writer of the daemon's rows a remedy has.
 */
public final class RowChanges extends DaemonRowReads {

    private final QuarantineRows quarantine;
    private final String actionId;
    private final List<ChangedRow> rows = new ArrayList<>();

    public RowChanges(WriteTransactions tx, QuarantineRows quarantine, String actionId) {
        super(tx);
        this.quarantine = quarantine;
        this.actionId = actionId;
    }

    void remove(Connection c, String table, String id, String rowJson) throws SQLException {
        quarantine.put(c, actionId, RemedyAction.QUARANTINE_ROW, table, id, rowJson, null);
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + qualified(table) + " t WHERE " + idPredicate(c, table))) {
            ps.setString(1, id);
            requireOne(ps.executeUpdate(), table);
        }
        rows.add(ChangedRow.whole(table, rowJson));
    }

    /**
     * Sets one column to an absolute value (never a relative change, section 9); only this column, so
     * {@code updated_at} stays the daemon's.
     *
     * @param column a literal of a remedy ({@code size}, {@code refers}), never input
     */
    void set(Connection c, String table, String id, String rowJson, String column, long value) throws SQLException {
        quarantine.put(c, actionId, RemedyAction.UPDATE_ROW, table, id, rowJson, "{\"" + column + "\": " + value + "}");
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + qualified(table) + " t SET " + column + " = ? WHERE "
                + idPredicate(c, table))) {
            ps.setLong(1, value);
            ps.setString(2, id);
            requireOne(ps.executeUpdate(), table);
        }
        rows.add(new ChangedRow(table, rowJson, Set.of(column)));
    }

    List<ChangedRow> rows() {
        return List.copyOf(rows);
    }

    private static void requireOne(int n, String table) {
        if (n != 1) {
            throw new IllegalStateException("expected to change 1 row of " + table + ", changed " + n);
        }
    }
}
