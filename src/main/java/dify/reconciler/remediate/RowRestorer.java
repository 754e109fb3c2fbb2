package dify.reconciler.remediate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Puts quarantined rows back, newest first (so several actions on one row unwind in order), one item per
 * transaction with the same timeouts as the applier. A removed row is re-inserted from its JSON with
 * {@code json_populate_record}, unless a row with its id exists: identical means already back, different is
 * refused. An updated row gets its old values back only where it still holds the values we set; otherwise the
 * daemon (or someone) has changed it since, and restore refuses and reports.
 */
public final class RowRestorer {

    private static final Logger LOG = Logger.getLogger(RowRestorer.class);

    /** Columns an update_row action may have set; anything else in a quarantine entry is refused. */
    private static final Set<String> SETTABLE = Set.of("refers");

    private record Entry(long id, String actionId, String action, String table, String rowId, String rowText,
            String setColumns) {
    }

    private final DataSource dataSource;
    private final WriteTransactions tx;
    private final String quarantineTable;
    private final RemediationAudit audit;
    private final ActionListener listener;
    private final AppliedRowsListener committedRows;
    private final ObjectMapper json;
    private final Clock clock;

    public RowRestorer(DataSource dataSource, WriteTransactions tx, String quarantineTable, RemediationAudit audit,
            ActionListener listener, ObjectMapper json, Clock clock) {
        this(dataSource, tx, quarantineTable, audit, listener, AppliedRowsListener.NONE, json, clock);
    }

    /** @param committedRows told each restored row after its commit (the daemon's cache is cleared there) */
    public RowRestorer(DataSource dataSource, WriteTransactions tx, String quarantineTable, RemediationAudit audit,
            ActionListener listener, AppliedRowsListener committedRows, ObjectMapper json, Clock clock) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.quarantineTable = quarantineTable;
        this.audit = audit;
        this.listener = listener;
        this.committedRows = committedRows;
        this.json = json;
        this.clock = clock;
    }

    /** Quarantined rows not restored yet: one action's, or all (actionId null). */
    public List<ActionResult> pending(String actionId) throws SQLException {
        List<ActionResult> out = new ArrayList<>();
        for (Entry e : entries(actionId)) {
            out.add(new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), null, null));
        }
        return out;
    }

    /** Restores one action's rows, or all (actionId null). */
    public List<ActionResult> restore(String actionId, String runId) throws SQLException {
        List<ActionResult> results = new ArrayList<>();
        for (Entry e : entries(actionId)) {
            ActionResult r = restoreOne(e, runId);
            listener.outcome("restore", e.action(), r.outcome());
            results.add(r);
        }
        return results;
    }

    private List<Entry> entries(String actionId) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id, action_id,"
                        + " action, table_name, row_id, row_text, set_columns::text FROM " + quarantineTable
                        + " WHERE restored_at IS NULL AND (CAST(? AS text) IS NULL OR action_id = ?) ORDER BY id DESC")) {
            ps.setString(1, actionId);
            ps.setString(2, actionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getString(7)));
                }
            }
        }
        return entries;
    }

    private ActionResult restoreOne(Entry e, String runId) {
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                String target = tx.schema().qualified(e.table()); // allow-list: a tampered table name fails here
                String current;
                try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text FROM " + target + " t WHERE "
                        + tx.idPredicate(c, e.table()) + " FOR UPDATE")) {
                    ps.setString(1, e.rowId());
                    try (ResultSet rs = ps.executeQuery()) {
                        current = rs.next() ? rs.getString(1) : null;
                    }
                }
                String refused = RemedyAction.UPDATE_ROW.label().equals(e.action())
                        ? restoreUpdate(c, e, target, current)
                        : restoreRemoved(c, e, target, current);
                ActionOutcome outcome = refused == null ? ActionOutcome.RESTORED : ActionOutcome.RESTORE_REFUSED;
                String detail = refused == null ? "row restored" : refused;
                if (refused == null) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE " + quarantineTable + " SET restored_at = ? WHERE id = ?")) {
                        ps.setTimestamp(1, Timestamp.from(clock.instant()));
                        ps.setLong(2, e.id());
                        ps.executeUpdate();
                    }
                } else {
                    c.rollback();
                }
                audit.record(c, e.actionId(), "restore", runId, "restore", e.action(), e.table(), e.rowId(), null, null,
                        outcome, detail);
                c.commit();
                LOG.infof("restore %s (%s/%s): %s", e.actionId(), e.table(), e.rowId(), detail);
                if (refused == null) {
                    // A restored update set back only columns in SETTABLE (anything else is refused above).
                    RowRemedyApplier.notifyCommitted(committedRows, e.actionId(), RemedyAction.UPDATE_ROW.label().equals(e.action())
                            ? new ChangedRow(e.table(), e.rowText(), SETTABLE)
                            : ChangedRow.whole(e.table(), e.rowText()));
                }
                return new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), outcome, detail);
            } catch (SQLException | RuntimeException | IOException ex) {
                WriteTransactions.rollbackQuietly(c, ex);
                LOG.errorf(ex, "restore %s failed", e.actionId());
                return new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), ActionOutcome.FAILED,
                        RowRemedyApplier.describe(ex));
            }
        } catch (SQLException ex) {
            return new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), ActionOutcome.FAILED,
                    RowRemedyApplier.describe(ex));
        }
    }

    /** Null when done, else why not. */
    private String restoreRemoved(Connection c, Entry e, String target, String current) throws SQLException, IOException {
        if (current != null) {
            if (json.readTree(current).equals(json.readTree(e.rowText()))) {
                return null; // already back (restored by hand, or re-created identically)
            }
            return "a different row with id " + e.rowId() + " exists in " + e.table() + ": not overwritten";
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + target + " SELECT * FROM json_populate_record(NULL::"
                + target + ", CAST(? AS json))")) {
            ps.setString(1, e.rowText());
            ps.executeUpdate();
        }
        return null;
    }

    private String restoreUpdate(Connection c, Entry e, String target, String current) throws SQLException, IOException {
        if (current == null) {
            return "the row is gone from " + e.table() + " (uninstalled since?): nothing to put the old values into";
        }
        JsonNode now = json.readTree(current);
        JsonNode set = json.readTree(e.setColumns() == null ? "{}" : e.setColumns());
        StringBuilder assignments = new StringBuilder();
        for (Iterator<String> it = set.fieldNames(); it.hasNext();) {
            String column = it.next();
            if (!SETTABLE.contains(column)) {
                return "column " + column + " is not one we set";
            }
            if (!set.get(column).equals(now.get(column))) {
                return column + " is " + now.get(column) + " now, not the " + set.get(column) + " we set: changed since, not restored";
            }
            assignments.append(assignments.length() == 0 ? "" : ", ").append(column).append(" = (old.r).").append(column);
        }
        if (assignments.length() == 0) {
            return "the quarantine entry names no column we set";
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + target + " t SET " + assignments + " FROM (SELECT"
                + " json_populate_record(NULL::" + target + ", CAST(? AS json)) AS r) old WHERE " + tx.idPredicate(c, e.table()))) {
            ps.setString(1, e.rowText());
            ps.setString(2, e.rowId());
            ps.executeUpdate();
        }
        return null;
    }
}
