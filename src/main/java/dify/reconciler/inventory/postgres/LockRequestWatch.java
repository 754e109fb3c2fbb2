package dify.reconciler.inventory.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Makes a scan yield to the daemon. The daemon sets no lock timeout, and its container runs a migration
 * ({@code ALTER TABLE}, ACCESS EXCLUSIVE) on every start: such a request queues behind the scan's
 * ACCESS SHARE locks, and every daemon query queues behind the request. So, from a connection of its own,
 * this watch asks PostgreSQL every {@link #POLL_INTERVAL} whether any session waits on a lock that the
 * scan's backend holds; as soon as one does, it terminates the scan's backend (which releases every lock
 * at once, whether a statement runs or the transaction sits idle between statements) and records who
 * waited. The scan then fails with {@link ScanYieldedException}; the next interval retries it.
 *
 * <p>The watch's own queries read only {@code pg_locks} and {@code pg_stat_activity}: they take no lock on
 * the daemon's tables. Terminating a backend of one's own role needs no extra privilege.
 */
final class LockRequestWatch implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(LockRequestWatch.class);

    /** Well under the one second in which a waiting lock request must be granted. */
    static final Duration POLL_INTERVAL = Duration.ofMillis(100);

    private static final String WAITERS = "SELECT w.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),"
            + " w.mode, coalesce(w.relation::regclass::text, w.locktype)"
            + " FROM pg_locks w JOIN pg_stat_activity a ON a.pid = w.pid"
            + " WHERE NOT w.granted AND w.pid <> pg_backend_pid() AND ? = ANY(pg_blocking_pids(w.pid)) LIMIT 1";

    private final Connection watcher;
    private final int scanBackendPid;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String yieldedTo;
    private volatile boolean running = true;

    private LockRequestWatch(Connection watcher, int scanBackendPid) {
        this.watcher = watcher;
        this.scanBackendPid = scanBackendPid;
        this.thread = new Thread(this::watch, "scan-lock-watch-" + scanBackendPid);
        this.thread.setDaemon(true);
    }

    /** Starts watching the backend {@code scanBackendPid} from a new connection of {@code dataSource}. */
    static LockRequestWatch start(DataSource dataSource, int scanBackendPid) throws SQLException {
        return start(dataSource::getConnection, scanBackendPid);
    }

    /** Opens a new connection to the database the watched backend is on. */
    @FunctionalInterface
    interface ConnectionOpener {
        Connection open() throws SQLException;
    }

    /** Starts watching the backend {@code scanBackendPid} from a new connection of {@code opener}. */
    static LockRequestWatch start(ConnectionOpener opener, int scanBackendPid) throws SQLException {
        Connection watcher = opener.open();
        try {
            watcher.setAutoCommit(true);
            watcher.setReadOnly(true);
        } catch (SQLException e) {
            watcher.close();
            throw e;
        }
        LockRequestWatch watch = new LockRequestWatch(watcher, scanBackendPid);
        watch.thread.start();
        return watch;
    }

    /** Who the scan yielded to, or null while it has not yielded. */
    String yieldedTo() {
        return yieldedTo;
    }

    private void watch() {
        try (PreparedStatement waiters = watcher.prepareStatement(WAITERS)) {
            waiters.setInt(1, scanBackendPid);
            while (running) {
                try (ResultSet rs = waiters.executeQuery()) {
                    if (rs.next()) {
                        yieldTo(String.format("'%s' (pid %d, user %s, waiting for %s on %s)", rs.getString(2),
                                rs.getInt(1), rs.getString(3), rs.getString(4), rs.getString(5)));
                        return;
                    }
                }
                if (stopped.await(POLL_INTERVAL.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (SQLException e) {
            if (running) {
                // Without the watch the scan could stall the daemon: end the scan rather than run unwatched.
                LOG.errorf(e, "the lock watch of scan backend %d failed; ending the scan", scanBackendPid);
                try {
                    yieldTo("nobody: the lock watch failed (" + e.getMessage() + ")");
                } catch (SQLException again) {
                    LOG.debugf(again, "terminating scan backend %d failed as well", scanBackendPid);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Synchronized with {@link #close()}: once the scan has let go of its connection, it is never terminated. */
    private synchronized void yieldTo(String waiter) throws SQLException {
        if (!running) {
            return;
        }
        yieldedTo = waiter;
        LOG.warnf("scan backend %d yields to a lock request from %s: terminating it", scanBackendPid, waiter);
        try (PreparedStatement terminate = watcher.prepareStatement("SELECT pg_terminate_backend(?)")) {
            terminate.setInt(1, scanBackendPid);
            terminate.execute();
        }
    }

    /** Stops watching; returns once the watch thread has ended (it never waits longer than one poll). */
    @Override
    public void close() {
        synchronized (this) {
            running = false;
        }
        stopped.countDown();
        try {
            thread.join(Duration.ofSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            watcher.close();
        } catch (SQLException e) {
            LOG.debugf(e, "closing the lock watch connection failed");
        }
    }
}
