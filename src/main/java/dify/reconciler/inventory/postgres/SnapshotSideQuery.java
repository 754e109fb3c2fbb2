package dify.reconciler.inventory.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * One query of the scan run beside the others, on a session of its own that sees exactly the scan's snapshot: the
 * session opens a repeatable-read, read-only transaction and imports the snapshot the scan's transaction exported
 * ({@code SET TRANSACTION SNAPSHOT}), so the scan still reads one snapshot however many backends read it. The query
 * runs on a thread of its own from {@link #start} on; {@link #rows()} waits for its rows, buffered (the query is
 * bounded by the caller, {@code LIMIT}). The scan's {@link LockRequestWatch} covers the side backend before it touches
 * a table, so a daemon waiting on the side's locks makes the whole scan yield, as it would waiting on the scan's own.
 *
 * <p>The session is always closed ({@link #close()}): after {@link #rows()}, or when the scan fails or yields first,
 * then cancelling the query so the backend lets go of its locks at once. No thread outlives {@link #close()}.
 */
final class SnapshotSideQuery<T> implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SnapshotSideQuery.class);

    /** The side session could not take the scan's snapshot (a pooler, a standby, another server): read on the main one. */
    static final class SnapshotUnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        SnapshotUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final Connection session;
    private final int backendPid;
    private final LockRequestWatch watch;
    private final String what;
    private final FutureTask<List<T>> task;
    private final Thread thread;
    private volatile PreparedStatement running;
    private boolean closed;

    private SnapshotSideQuery(Connection session, int backendPid, LockRequestWatch watch, String what, String sql,
            DaemonDatabaseReader.RowMapper<T> mapper) {
        this.session = session;
        this.backendPid = backendPid;
        this.watch = watch;
        this.what = what;
        this.task = new FutureTask<>(() -> read(sql, mapper));
        this.thread = new Thread(task, "scan-side-query-" + backendPid);
        this.thread.setDaemon(true);
    }

    /**
     * Opens a session of {@code sessions} on the snapshot {@code snapshotId}, has {@code watch} cover it, and starts
     * {@code sql} on it.
     *
     * @throws SnapshotUnavailableException when the session cannot be opened or cannot import the snapshot
     * @throws ScanYieldedException when the scan yielded before the side session could be watched
     */
    static <T> SnapshotSideQuery<T> start(DataSource sessions, String snapshotId, Duration lockTimeout, LockRequestWatch watch,
            String what, String sql, DaemonDatabaseReader.RowMapper<T> mapper) throws SnapshotUnavailableException {
        Connection session;
        int backendPid;
        try {
            session = sessions.getConnection();
        } catch (SQLException e) {
            throw new SnapshotUnavailableException("no side session could be opened: " + e.getMessage(), e);
        }
        try {
            session.setAutoCommit(false);
            try (var st = session.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                // Before any query: a snapshot is imported as the transaction's first action or not at all.
                st.execute("SET TRANSACTION SNAPSHOT '" + checkedSnapshotId(snapshotId) + "'");
                st.execute("SET LOCAL lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'");
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    backendPid = rs.getInt(1);
                }
            }
        } catch (SQLException e) {
            closeQuietly(session, e);
            throw new SnapshotUnavailableException("the side session cannot import the scan's snapshot: " + e.getMessage(), e);
        }
        // Watched before the first table is touched, like the scan's own backend.
        if (!watch.alsoWatch(backendPid)) {
            ScanYieldedException yielded = new ScanYieldedException(String.valueOf(watch.yieldedTo()), null);
            closeQuietly(session, yielded);
            throw yielded;
        }
        SnapshotSideQuery<T> side = new SnapshotSideQuery<>(session, backendPid, watch, what, sql, mapper);
        side.thread.start();
        return side;
    }

    /** The id PostgreSQL exported, spliced into SET TRANSACTION SNAPSHOT (which takes no parameter): hex and dashes only. */
    private static String checkedSnapshotId(String id) {
        if (!id.matches("[0-9A-Fa-f-]+")) {
            throw new IllegalArgumentException("not a snapshot id: " + id);
        }
        return id;
    }

    /** The side backend's pid (for tests and the log). */
    int backendPid() {
        return backendPid;
    }

    private List<T> read(String sql, DaemonDatabaseReader.RowMapper<T> mapper) throws SQLException {
        long started = System.nanoTime();
        List<T> rows = new ArrayList<>();
        try (PreparedStatement ps = session.prepareStatement(sql)) {
            running = ps;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(mapper.map(rs));
                }
            }
        } finally {
            running = null;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debugf("%6.0f ms %9d rows  [side session, backend %d] %s", (System.nanoTime() - started) / 1e6, rows.size(),
                    backendPid, sql.length() > 160 ? sql.substring(0, 160) + "…" : sql);
        }
        return rows;
    }

    /**
     * Waits for the query's rows, then closes the session.
     *
     * @throws ScanYieldedException when the scan yielded meanwhile (the watch ended the side backend too)
     * @throws SQLException the side query's own failure
     */
    List<T> rows() throws SQLException {
        long waitStarted = System.nanoTime();
        try {
            List<T> rows = task.get();
            LOG.debugf("waited %.0f ms for the side session's %s", (System.nanoTime() - waitStarted) / 1e6, what);
            return rows;
        } catch (ExecutionException e) {
            String waiter = watch.yieldedTo();
            if (waiter != null) {
                throw new ScanYieldedException(waiter, e.getCause());
            }
            if (e.getCause() instanceof SQLException failure) {
                throw new SQLException(what + " on the side session failed: " + failure.getMessage(), failure.getSQLState(),
                        failure);
            }
            throw new DatabaseReadException(what + " on the side session failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatabaseReadException("interrupted while waiting for " + what + " on the side session", e);
        } finally {
            close();
        }
    }

    /** Cancels the query if it still runs, ends the thread and closes the session (its transaction with it). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        try {
            while (thread.isAlive() && System.nanoTime() < deadline) {
                PreparedStatement statement = running;
                if (statement != null) {
                    cancel(statement); // the backend stops at once and releases its locks; closing alone would not stop it
                }
                thread.join(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (thread.isAlive()) {
                session.abort(Runnable::run); // a query that did not stop: drop the socket so the thread ends
                thread.join(Duration.ofSeconds(5).toMillis());
            }
            session.close();
        } catch (SQLException e) {
            LOG.debugf(e, "closing the side session (backend %d) failed", backendPid);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            watch.stopWatching(backendPid);
        }
    }

    private void cancel(PreparedStatement statement) {
        try {
            statement.cancel();
        } catch (SQLException e) {
            LOG.debugf(e, "cancelling the side session's query (backend %d) failed", backendPid);
        }
    }

    private static void closeQuietly(Connection c, Exception primary) {
        try {
            c.close();
        } catch (SQLException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
