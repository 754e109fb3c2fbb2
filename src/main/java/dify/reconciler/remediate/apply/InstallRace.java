package dify.reconciler.remediate.apply;

import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.AppliedRowsListener;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.write.InstallsInFlight;
import dify.reconciler.remediate.write.WriteTransactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The daemon's install wins a race with our last-uninstall remedies. The last look before our commit sees every
 * install whose task row was committed by then; one created between that look and our commit is seen here, right
 * after it: its install transaction (waiting behind our locks until the commit) inserts its own {@code plugins}
 * row, installation and category row, but never the declaration, which it read before it created the task and
 * which every later request reads again. So the rows the install does not write come back from quarantine (only
 * where their identifier has no row now), the {@code plugins} row is never put back (the daemon inserts its own;
 * ours would collide with it or, without the unique index, duplicate it), and the action is skipped: the caller
 * then leaves {@code plugin/U} alone. Audited under the action's id, in the transaction that puts the rows back.
 */
public final class InstallRace {

    /** Rows an install reads and never writes: put back while their identifier has no row. */
    private static final Set<String> PUT_BACK = Set.of(DaemonSchema.DECLARATIONS, DaemonSchema.SERVERLESS_RUNTIMES);

    private record Entry(long id, String table, String rowId, String rowText) {
    }

    private final DataSource dataSource;
    private final WriteTransactions tx;
    private final String quarantineTable;
    private final RemediationAudit audit;
    private final AppliedRowsListener committedRows;
    private final Clock clock;

    public InstallRace(DataSource dataSource, WriteTransactions tx, String quarantineTable, RemediationAudit audit,
            AppliedRowsListener committedRows, Clock clock) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.quarantineTable = quarantineTable;
        this.audit = audit;
        this.committedRows = committedRows;
        this.clock = clock;
    }

    /**
     * After the action's rows were committed: when the daemon is installing the identifier (or a plugins row for it
     * appeared), puts back what its install needs and returns why the action is skipped; null when no install
     * came in between.
     */
    public String settle(RemediationPlan plan, PlannedAction a, String runId) throws SQLException {
        String uid = a.pluginUniqueIdentifier();
        List<ChangedRow> back = new ArrayList<>();
        String detail;
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                String why = exists(c, DaemonSchema.PLUGINS, "t.plugin_unique_identifier = ?", uid)
                        ? "a plugins row with identifier " + uid + " exists again"
                        : InstallsInFlight.reason(c, tx.schema(), uid);
                if (why == null) {
                    c.commit();
                    return null;
                }
                List<String> kept = new ArrayList<>();
                for (Entry e : entries(c, a.id())) {
                    if (PUT_BACK.contains(e.table()) && tx.schema().hasTable(e.table())
                            && !exists(c, e.table(), "t.plugin_unique_identifier = ?", uid)
                            && !exists(c, e.table(), tx.idPredicate(c, e.table()), e.rowId())) {
                        insert(c, e);
                        back.add(ChangedRow.whole(e.table(), e.rowText()));
                    } else {
                        kept.add(e.table() + "/" + e.rowId());
                    }
                    // Settled either way: a later restore must never put a plugins row (or a second declaration)
                    // next to the one the daemon wrote.
                    markSettled(c, e.id());
                }
                detail = "the daemon installed " + uid + " meanwhile (" + why + "): its write wins; put back "
                        + (back.isEmpty() ? "nothing" : String.join(", ", back.stream().map(ChangedRow::table).toList()))
                        + (kept.isEmpty() ? "" : "; left to the daemon's own rows: " + String.join(", ", kept))
                        + "; plugin/" + uid + " is left alone";
                audit.record(c, plan.planId(), runId, a, null, null, ActionOutcome.SKIPPED_CHANGED, detail);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                WriteTransactions.rollbackQuietly(c, e);
                throw new SQLException("the daemon installed " + uid + " meanwhile, and putting back what its install needs"
                        + " failed (restore the action): " + RowRemedyApplier.describe(e),
                        e instanceof SQLException s
                                ? s.getSQLState()
                                : null,
                        e);
            }
        }
        RowRemedyApplier.notifyCommitted(committedRows, a.id(), back); // the daemon's cached "not found" goes too
        return detail;
    }

    private List<Entry> entries(Connection c, String actionId) throws SQLException {
        List<Entry> entries = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, table_name, row_id, row_text FROM " + quarantineTable
                + " WHERE action_id = ? AND restored_at IS NULL ORDER BY id FOR UPDATE")) {
            ps.setString(1, actionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    entries.add(new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                }
            }
        }
        return entries;
    }

    /** @param where a predicate of this class or {@link WriteTransactions#idPredicate}, one bound value */
    private boolean exists(Connection c, String table, String where, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + tx.schema().qualified(table) + " t WHERE " + where
                + " LIMIT 1")) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void insert(Connection c, Entry e) throws SQLException {
        String target = tx.schema().qualified(e.table());
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + target + " SELECT * FROM json_populate_record(NULL::"
                + target + ", CAST(? AS json))")) {
            ps.setString(1, e.rowText());
            ps.executeUpdate();
        }
    }

    private void markSettled(Connection c, long id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + quarantineTable + " SET restored_at = ? WHERE id = ?")) {
            ps.setTimestamp(1, Timestamp.from(clock.instant()));
            ps.setLong(2, id);
            ps.executeUpdate();
        }
    }
}
