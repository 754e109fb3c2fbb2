package dify.reconciler.remediate.apply;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.record.ActionListener;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.AppliedRowsListener;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.write.WriteTransactions;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Puts quarantined rows back, newest first (so several actions on one row unwind in order), one action per
 * transaction with the same timeouts as the applier: an action that changed several rows (an uninstall's
 * installation, category row and refers) gets all of them back or none. A removed row is re-inserted from its JSON with
 * {@code json_populate_record}, unless a row with its id exists: identical means already back, different is
 * refused. An updated row gets its old values back only where it still holds the values we set; otherwise the
 * daemon (or someone) has changed it since, and restore refuses and reports.
 */
public final class RowRestorer {

    private static final Logger LOG = Logger.getLogger(RowRestorer.class);

    /** Columns an update_row action may have set; anything else in a quarantine entry is refused. */
    private static final Set<String> SETTABLE = Set.of("refers", "size");

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

    /** Restores one action's rows, or all (actionId null); each action's rows together or none of them. */
    public List<ActionResult> restore(String actionId, String runId) throws SQLException {
        // Newest action first (its newest row first), so several actions on one row unwind in order.
        Map<String, List<Entry>> byAction = new LinkedHashMap<>();
        for (Entry e : entries(actionId)) {
            byAction.computeIfAbsent(e.actionId(), k -> new ArrayList<>()).add(e);
        }
        List<ActionResult> results = new ArrayList<>();
        for (List<Entry> rows : byAction.values()) {
            for (ActionResult r : restoreAction(rows, runId)) {
                listener.outcome("restore", r.action(), r.outcome());
                results.add(r);
            }
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

    /**
     * One action's rows in one transaction (the rows the daemon changes together come back together): when any
     * of them cannot be put back, none is, and every one is reported refused with the reason.
     */
    private List<ActionResult> restoreAction(List<Entry> rows, String runId) {
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                String refused = null;
                for (Entry e : rows) {
                    refused = restoreRow(c, e);
                    if (refused != null) {
                        refused = rows.size() == 1 ? refused : e.table() + "/" + e.rowId() + ": " + refused;
                        break;
                    }
                }
                return finish(c, rows, refused, runId);
            } catch (SQLException ex) {
                WriteTransactions.rollbackQuietly(c, ex);
                if ("23505".equals(ex.getSQLState())) {
                    // A unique key of a row (e.g. an installation's tenant and plugin id) is held by a different row now.
                    return finish(c, rows, "a different row holds one of its unique keys now: not overwritten ("
                            + RowRemedyApplier.describe(ex) + ")", runId);
                }
                return failed(rows, ex);
            } catch (RuntimeException | IOException ex) {
                WriteTransactions.rollbackQuietly(c, ex);
                return failed(rows, ex);
            }
        } catch (SQLException ex) {
            return failed(rows, ex);
        }
    }

    /** Commits the restore (refused null) or rolls it back; audits each row either way, in the same transaction. */
    private List<ActionResult> finish(Connection c, List<Entry> rows, String refused, String runId) throws SQLException {
        ActionOutcome outcome = refused == null ? ActionOutcome.RESTORED : ActionOutcome.RESTORE_REFUSED;
        String detail = refused == null ? "row restored" : refused;
        if (refused != null) {
            c.rollback();
        }
        List<ActionResult> results = new ArrayList<>();
        for (Entry e : rows) {
            if (refused == null) {
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + quarantineTable + " SET restored_at = ? WHERE id = ?")) {
                    ps.setTimestamp(1, Timestamp.from(clock.instant()));
                    ps.setLong(2, e.id());
                    ps.executeUpdate();
                }
            }
            audit.record(c, e.actionId(), "restore", runId, "restore", e.action(), e.table(), e.rowId(), null, null, outcome,
                    detail);
            LOG.infof("restore %s (%s/%s): %s", e.actionId(), e.table(), e.rowId(), detail);
            results.add(new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), outcome, detail));
        }
        c.commit();
        if (refused == null) {
            // A restored update set back only columns in SETTABLE (anything else is refused).
            RowRemedyApplier.notifyCommitted(committedRows, rows.get(0).actionId(), rows.stream()
                    .map(e -> RemedyAction.UPDATE_ROW.label().equals(e.action())
                            ? new ChangedRow(e.table(), e.rowText(), SETTABLE)
                            : ChangedRow.whole(e.table(), e.rowText()))
                    .toList());
        }
        return results;
    }

    private static List<ActionResult> failed(List<Entry> rows, Exception ex) {
        LOG.errorf(ex, "restore %s failed", rows.get(0).actionId());
        return rows.stream().map(e -> new ActionResult(e.actionId(), null, e.action(), e.table(), e.rowId(), ActionOutcome.FAILED,
                RowRemedyApplier.describe(ex))).toList();
    }

    /** Locks the row's current version (if any) and puts the quarantined one back; null when done, else why not. */
    private String restoreRow(Connection c, Entry e) throws SQLException, IOException {
        String target = tx.schema().qualified(e.table()); // allow-list: a tampered table name fails here
        String current;
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text FROM " + target + " t WHERE "
                + tx.idPredicate(c, e.table()) + " FOR UPDATE")) {
            ps.setString(1, e.rowId());
            try (ResultSet rs = ps.executeQuery()) {
                current = rs.next() ? rs.getString(1) : null;
            }
        }
        return RemedyAction.UPDATE_ROW.label().equals(e.action())
                ? restoreUpdate(c, e, target, current)
                : restoreRemoved(c, e, target, current);
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
