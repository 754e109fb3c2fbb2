package dify.reconciler.testsupport;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** What our own tables ({@code plugin_reconciler}) say about remediation, read directly for assertions. */
public final class RemediationRecords {

    private RemediationRecords() {
    }

    /** Object entries of actions neither complete, restored nor purged: what the next recovery would look at. */
    public static long incompleteObjectEntries(TestDatabase db) throws SQLException {
        return count(db, "SELECT count(*) FROM plugin_reconciler.quarantine_objects"
                + " WHERE completed_at IS NULL AND restored_at IS NULL AND purged_at IS NULL");
    }

    /** Every audited action outcome so far. */
    public static long auditedActions(TestDatabase db) throws SQLException {
        return count(db, "SELECT count(*) FROM plugin_reconciler.remediation_actions");
    }

    /** The audit rows of recoveries, oldest first: object key, outcome, detail. */
    public static List<String[]> recoveryAudit(TestDatabase db) throws SQLException {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT object_key, outcome, detail FROM plugin_reconciler.remediation_actions"
                        + " WHERE plan_id = 'recover' ORDER BY seq");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        }
        return rows;
    }

    private static long count(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
