package dify.reconciler.remediate.write;

import dify.reconciler.actor.WriteFence;
import dify.reconciler.config.DifyDatabaseSettings;
import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * How every write transaction on the daemon's tables starts, and how a row is named in SQL. The daemon sets no
 * lock or statement timeout and waits behind us, so ours are short and set with {@code SET LOCAL} (they end
 * with the transaction); READ COMMITTED, as the daemon's own transactions.
 */
public final class WriteTransactions {

    private final DaemonSchema schema;
    private final Duration lockTimeout;
    private final Duration statementTimeout;
    private final WriteFence fence;
    private final Map<String, String> idTypes = new HashMap<>();
    private DifyWorkspaces difyWorkspaces = DifyWorkspaces.NOT_CONFIGURED;

    public WriteTransactions(DaemonSchema schema, Duration lockTimeout, Duration statementTimeout) {
        this(schema, lockTimeout, statementTimeout, WriteFence.NONE);
    }

    /** @param fence checked first in every transaction (leadership in the service, see {@link WriteFence}) */
    public WriteTransactions(DaemonSchema schema, Duration lockTimeout, Duration statementTimeout, WriteFence fence) {
        this.schema = schema;
        this.lockTimeout = lockTimeout;
        this.statementTimeout = statementTimeout;
        this.fence = fence;
    }

    public DaemonSchema schema() {
        return schema;
    }

    /**
     * Where {@code installation_tenant_missing}'s re-check reads Dify's workspaces ({@code reconciler.dify-database});
     * without it that remedy skips every action.
     */
    public WriteTransactions withDifyWorkspaces(DifyDatabaseSettings settings) {
        this.difyWorkspaces = DifyWorkspaces.of(settings);
        return this;
    }

    DifyWorkspaces difyWorkspaces() {
        return difyWorkspaces;
    }

    /**
     * Starts one item's transaction on {@code c} (autocommit off, READ COMMITTED, both timeouts set locally), then
     * checks the fence in it: a process that may no longer write fails here, before it locks anything.
     */
    public void begin(Connection c) throws SQLException {
        c.setAutoCommit(false);
        c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        try (Statement s = c.createStatement()) {
            // Milliseconds are integers we format ourselves: nothing from input reaches these statements.
            s.execute("SET LOCAL lock_timeout = " + Math.max(1, lockTimeout.toMillis()));
            s.execute("SET LOCAL statement_timeout = " + Math.max(1, statementTimeout.toMillis()));
        }
        fence.check(c);
    }

    /**
     * {@code t.id = CAST(? AS uuid)} when the table's id is a uuid (so the primary key index is used), else
     * {@code t.id = ?}. A malformed id then fails that one action, it never matches another row.
     */
    public String idPredicate(Connection c, String table) throws SQLException {
        String type = idTypes.get(table);
        if (type == null) {
            try (PreparedStatement ps = c.prepareStatement("""
                    SELECT format_type(a.atttypid, a.atttypmod)
                      FROM pg_catalog.pg_attribute a
                      JOIN pg_catalog.pg_class cl ON cl.oid = a.attrelid
                      JOIN pg_catalog.pg_namespace n ON n.oid = cl.relnamespace
                     WHERE n.nspname = ? AND cl.relname = ? AND a.attname = 'id' AND NOT a.attisdropped""")) {
                ps.setString(1, schema.schemaName());
                ps.setString(2, table);
                try (ResultSet rs = ps.executeQuery()) {
                    type = rs.next() ? rs.getString(1) : "text";
                }
            }
            idTypes.put(table, type);
        }
        return "uuid".equals(type) ? "t.id = CAST(? AS uuid)" : "t.id::text = ?";
    }

    public static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** A failed write as the user reads it: the first line of its message, a lock we could not get said plainly. */
    public static String describe(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // 55P03 (lock_not_available) is both our lock_timeout running out and a NOWAIT lock refused at once.
        if (e instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
            return m.contains("lock timeout")
                    ? "the row stayed locked longer than our lock_timeout (the daemon is changing it?): " + m
                    : "the row is locked by another transaction (the daemon is changing it?); taken NOWAIT, so we gave up at"
                            + " once: " + m;
        }
        return m.lines().findFirst().orElse(m);
    }
}
