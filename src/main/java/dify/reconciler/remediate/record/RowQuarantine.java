package dify.reconciler.remediate.record;

import dify.reconciler.remediate.write.WriteTransactions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * The quarantined rows ({@code quarantine_rows}) not restored yet: listed for operators, counted for the gauge,
 * and purged after the retention. Purging only deletes from our own table (the daemon's tables are not
 * touched), in batches of {@value #BATCH}, each batch with its {@code purged} audit rows in one transaction.
 */
public final class RowQuarantine implements QuarantineStore {

    private static final Logger LOG = Logger.getLogger(RowQuarantine.class);
    static final int BATCH = 500;

    /** One quarantined row, without its content (rows may hold tenants' settings: the content stays in our schema). */
    public record Item(long id, String actionId, String action, String table, String rowId, Instant quarantinedAt) {
    }

    private final DataSource dataSource;
    private final String quarantineTable;
    private final RemediationAudit audit;
    private final ActionListener listener;

    /** @param quarantineTable our {@code quarantine_rows}, schema-qualified */
    public RowQuarantine(DataSource dataSource, String quarantineTable, RemediationAudit audit, ActionListener listener) {
        this.dataSource = dataSource;
        this.quarantineTable = quarantineTable;
        this.audit = audit;
        this.listener = listener;
    }

    @Override
    public String store() {
        return "rows";
    }

    /** Items not restored (purged ones are gone), oldest first. */
    public List<Item> page(int offset, int limit) throws SQLException {
        List<Item> items = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT id, action_id, action, table_name, row_id, quarantined_at FROM "
                        + quarantineTable + " WHERE restored_at IS NULL ORDER BY quarantined_at, id OFFSET ? LIMIT ?")) {
            ps.setLong(1, offset);
            ps.setInt(2, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    items.add(new Item(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getTimestamp(6).toInstant()));
                }
            }
        }
        return items;
    }

    /** Items not restored. */
    public long count() throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + quarantineTable + " WHERE restored_at IS NULL");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public long purgeable(Instant olderThan) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + quarantineTable
                        + " WHERE restored_at IS NULL AND quarantined_at < ?")) {
            ps.setTimestamp(1, Timestamp.from(olderThan));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Override
    public long purge(Instant olderThan, String purgeRunId) throws SQLException {
        long purged = 0;
        try (Connection c = dataSource.getConnection()) {
            while (true) {
                int n = purgeBatch(c, olderThan, purgeRunId);
                purged += n;
                if (n < BATCH) {
                    return purged;
                }
            }
        }
    }

    private int purgeBatch(Connection c, Instant olderThan, String purgeRunId) throws SQLException {
        try {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("SET LOCAL lock_timeout = 2000");
                s.execute("SET LOCAL statement_timeout = 30000");
            }
            List<Item> gone = new ArrayList<>();
            // SKIP LOCKED: an entry a restore is working on is left for the next purge.
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + quarantineTable + " WHERE id IN (SELECT id FROM "
                    + quarantineTable + " WHERE restored_at IS NULL AND quarantined_at < ? ORDER BY id LIMIT " + BATCH
                    + " FOR UPDATE SKIP LOCKED) RETURNING id, action_id, action, table_name, row_id, quarantined_at")) {
                ps.setTimestamp(1, Timestamp.from(olderThan));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        gone.add(new Item(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getTimestamp(6).toInstant()));
                    }
                }
            }
            for (Item i : gone) {
                audit.record(c, i.actionId(), "purge", purgeRunId, "purge", i.action(), i.table(), i.rowId(), null, null,
                        ActionOutcome.PURGED, "quarantined " + i.quarantinedAt() + ", past the retention: deleted, no longer restorable");
            }
            c.commit();
            for (Item i : gone) {
                listener.outcome("purge", i.action(), ActionOutcome.PURGED);
                LOG.infof("purge %s: quarantined row %s/%s (since %s) deleted", i.actionId(), i.table(), i.rowId(), i.quarantinedAt());
            }
            return gone.size();
        } catch (SQLException | RuntimeException e) {
            WriteTransactions.rollbackQuietly(c, e);
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
