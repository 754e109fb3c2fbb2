package dify.reconciler.inventory.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.function.Consumer;

/**
 * Reads the ids of Dify's workspaces ({@code tenants.id} of the Dify API's database) under the rules the scan
 * follows on the daemon's database: one {@code REPEATABLE READ, READ ONLY} transaction with a lock timeout, and a
 * {@link LockRequestWatch} that ends it the moment a session (the API's migration) waits on it. Opened after the
 * daemon's snapshot, so a workspace created since is present here, never falsely missing.
 *
 * <p>What keeps the table from being read at all (no connection, refused login, no table, no grant, an {@code id}
 * that is not a uuid) is a {@link DifyTenantsUnavailableException} from {@link #open}: the check does not run and the
 * report says why. A read that fails once started fails the run, as any other read does.
 */
public final class DifyTenantsReader implements AutoCloseable {

    private final Connection connection;
    private final LockRequestWatch watch;
    private final String table;
    private final int fetchSize;

    private DifyTenantsReader(Connection connection, LockRequestWatch watch, String table, int fetchSize) {
        this.connection = connection;
        this.watch = watch;
        this.table = table;
        this.fetchSize = fetchSize;
    }

    public static DifyTenantsReader open(DifyDatabase settings, Duration lockTimeout, int fetchSize)
            throws DifyTenantsUnavailableException {
        Properties properties = settings.connectionProperties();
        Connection c;
        try {
            c = DriverManager.getConnection(settings.url(), properties);
        } catch (SQLException e) {
            throw new DifyTenantsUnavailableException("cannot connect to Dify's database " + settings.description() + " ("
                    + settings.settings() + "): " + e.getMessage(), e);
        }
        LockRequestWatch watch = null;
        try {
            c.setAutoCommit(false);
            int backendPid;
            try (var st = c.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                st.execute("SET LOCAL lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'");
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    backendPid = rs.getInt(1);
                }
            }
            watch = LockRequestWatch.start(() -> DriverManager.getConnection(settings.url(), properties), backendPid);
            String table = tenantsTable(c, settings);
            return new DifyTenantsReader(c, watch, table, fetchSize);
        } catch (SQLException e) {
            close(c, watch);
            throw new DifyTenantsUnavailableException("cannot read Dify's database " + settings.description() + " ("
                    + settings.settings() + "): " + e.getMessage(), e);
        } catch (DifyTenantsUnavailableException | RuntimeException e) {
            close(c, watch);
            throw e;
        }
    }

    /** The qualified name of {@code tenants} as the user's search_path finds it, once its shape and grant are checked. */
    private static String tenantsTable(Connection c, DifyDatabase settings)
            throws SQLException, DifyTenantsUnavailableException {
        String where = " in Dify's database " + settings.description() + " (" + settings.settings() + ")";
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT n.nspname, c.relname, format_type(a.atttypid, a.atttypmod),
                       CASE WHEN a.attname IS NULL THEN false ELSE has_column_privilege(c.oid, a.attnum, 'SELECT') END
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'id' AND NOT a.attisdropped
                 WHERE c.oid = to_regclass('tenants')""");
                ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                throw new DifyTenantsUnavailableException("no table tenants on the search_path" + where
                        + ": is it the Dify API's database, and may the user use the schema of tenants?", null);
            }
            String qualified = DaemonSchema.quote(rs.getString(1)) + "." + DaemonSchema.quote(rs.getString(2));
            String type = rs.getString(3);
            if (type == null) {
                throw new DifyTenantsUnavailableException("table " + qualified + " has no column id" + where
                        + ": not the tenants table we know", null);
            }
            if (!"uuid".equals(type)) {
                throw new DifyTenantsUnavailableException("tenants.id is " + type + ", not uuid" + where
                        + ": not the tenants table we know", null);
            }
            if (!rs.getBoolean(4)) {
                throw new DifyTenantsUnavailableException("the user may not SELECT " + qualified + where
                        + ": GRANT SELECT ON tenants to it (docs/deploying.md)", null);
            }
            return qualified;
        }
    }

    /**
     * Streams every workspace id as canonical uuid text, in byte order, to {@code consumer}, which must finish with
     * the iterator before returning.
     */
    public void withTenantIds(Consumer<Iterator<String>> consumer) throws SQLException {
        String sql = "SELECT id::text FROM " + table + " ORDER BY id::text COLLATE \"C\"";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(fetchSize);
            ResultSet opened;
            try {
                opened = ps.executeQuery();
            } catch (SQLException e) {
                throw failure(e);
            }
            try (ResultSet rs = opened) {
                consumer.accept(new Iterator<>() {
                    private Boolean ready;

                    @Override
                    public boolean hasNext() {
                        if (ready == null) {
                            try {
                                ready = rs.next();
                            } catch (SQLException e) {
                                throw failure(e);
                            }
                        }
                        return ready;
                    }

                    @Override
                    public String next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        ready = null;
                        try {
                            return rs.getString(1);
                        } catch (SQLException e) {
                            throw failure(e);
                        }
                    }
                });
            }
        }
    }

    private RuntimeException failure(SQLException e) {
        String waiter = watch.yieldedTo();
        return waiter != null
                ? new ScanYieldedException(waiter + " on Dify's database", e)
                : new DatabaseReadException("reading Dify's tenants failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        close(connection, watch);
    }

    private static void close(Connection c, LockRequestWatch watch) {
        if (watch != null) {
            watch.close();
        }
        try {
            if (watch == null || watch.yieldedTo() == null) {
                c.rollback();
            }
        } catch (SQLException ignored) {
            // the connection is closed next either way
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // nothing left to release
            }
        }
    }
}
