package dify.reconciler.remediate.record;

import dify.reconciler.remediate.plan.RemedyAction;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;

/**
 * Writes one row's copy to our {@code quarantine_rows}, in the transaction that removes or updates it: the whole
 * row as JSON, and for an update the columns we set (restore gives the old values back only while they hold).
 * Every row one action changes is recorded under the action's id, so restore finds them all.
 */
public final class QuarantineRows {

    private final String quarantineTable;
    private final Clock clock;

    /** @param quarantineTable our {@code quarantine_rows}, schema-qualified */
    public QuarantineRows(String quarantineTable, Clock clock) {
        this.quarantineTable = quarantineTable;
        this.clock = clock;
    }

    /** @param setColumns null for a removed row; for an updated one the columns we set, as a JSON object */
    public void put(Connection c, String actionId, RemedyAction action, String table, String rowId, String rowJson, String setColumns)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + quarantineTable + " (action_id, action, table_name,"
                + " row_id, row, row_text, set_columns, quarantined_at) VALUES (?, ?, ?, ?, CAST(? AS jsonb), ?, CAST(? AS jsonb), ?)")) {
            ps.setString(1, actionId);
            ps.setString(2, action.label());
            ps.setString(3, table);
            ps.setString(4, rowId);
            ps.setString(5, rowJson);
            ps.setString(6, rowJson);
            ps.setString(7, setColumns);
            ps.setTimestamp(8, Timestamp.from(clock.instant()));
            ps.executeUpdate();
        }
    }
}
