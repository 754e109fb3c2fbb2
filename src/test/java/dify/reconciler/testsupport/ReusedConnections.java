package dify.reconciler.testsupport;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Keeps a few physical connections open for the fixtures' one-statement helpers ({@link DaemonRows}): opening a
 * connection (a backend started, a SCRAM handshake) costs 30 to 90 ms here, a statement 1 to 2 ms, and seeding one
 * small dataset runs about a hundred statements. A connection handed back behaves as if closed: its transaction is
 * rolled back and {@code DISCARD ALL} drops its session state (settings, prepared statements, temporary tables,
 * advisory locks). One that died meanwhile (a test terminated its backend) is dropped at the next hand-out.
 */
final class ReusedConnections implements DataSource, AutoCloseable {

    private static final int MAX_IDLE = 4;

    private final DataSource physical;
    private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();
    private volatile boolean closed;

    ReusedConnections(DataSource physical) {
        this.physical = physical;
    }

    @Override
    public Connection getConnection() throws SQLException {
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            if (c.isValid(2)) {
                return handOut(c);
            }
            closeQuietly(c);
        }
        return handOut(physical.getConnection());
    }

    private Connection handOut(Connection c) {
        AtomicBoolean returned = new AtomicBoolean();
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close":
                            if (returned.compareAndSet(false, true)) {
                                giveBack(c);
                            }
                            return null;
                        case "isClosed":
                            return returned.get() || c.isClosed();
                        default:
                            if (returned.get()) {
                                throw new SQLException("connection already closed");
                            }
                            try {
                                return method.invoke(c, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause();
                            }
                    }
                });
    }

    private void giveBack(Connection c) {
        try {
            if (closed || c.isClosed()) {
                closeQuietly(c);
                return;
            }
            if (!c.getAutoCommit()) {
                c.rollback();
                c.setAutoCommit(true);
            }
            try (Statement st = c.createStatement()) {
                st.execute("DISCARD ALL");
            }
            if (idle.size() < MAX_IDLE && !closed) {
                idle.push(c);
            } else {
                closeQuietly(c);
            }
        } catch (SQLException e) {
            closeQuietly(c);
        }
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // already broken: nothing to give back
        }
    }

    /** Closes every idle connection; connections still handed out are closed when given back. */
    @Override
    public void close() {
        closed = true;
        Connection c;
        while ((c = idle.pollFirst()) != null) {
            closeQuietly(c);
        }
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("fixture connections have one user");
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        if (iface.isInstance(this)) {
            return iface.cast(this);
        }
        throw new SQLException("not a wrapper of " + iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return iface.isInstance(this);
    }
}
