package dify.reconciler.leader;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalInt;
import org.jboss.logging.Logger;

/**
 * One replica's side of the election: leadership is a session-level PostgreSQL advisory lock
 * ({@code pg_try_advisory_lock(key)}) held on a connection of its own, which stays open for as long as this
 * replica leads. When the process dies its backend ends and PostgreSQL releases the lock; the next
 * {@link #tick()} of another replica takes it.
 *
 * <p><b>The daemon is never blocked by this connection.</b> It only runs {@code pg_try_advisory_lock} (which
 * does not wait), {@code SELECT 1}, {@code pg_advisory_unlock} and a read of {@code pg_locks} and
 * {@code pg_stat_activity}; it touches none of the daemon's tables, runs in autocommit (never idle in a
 * transaction) and has short statement and lock timeouts. Advisory locks need no privilege, so the read-only
 * role of report mode can lead.
 *
 * <p>Not thread-safe: one thread calls {@link #tick()} and {@link #release()}; {@link #status()} may be read
 * from any thread.
 */
public final class LeaderElector {

    private static final Logger LOG = Logger.getLogger(LeaderElector.class);

    /** Opens a new physical connection to the daemon's database. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open() throws SQLException;
    }

    /** A bigint advisory lock shows its high half in classid, its low half in objid and objsubid = 1 (PostgreSQL docs, pg_locks). */
    private static final String HOLDER = "SELECT l.pid, a.application_name FROM pg_locks l"
            + " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
            + " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            + " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            + " AND l.classid::bigint = ? AND l.objid::bigint = ?";

    private final ConnectionSource source;
    private final long key;
    private final Duration statementTimeout;

    private Connection connection;
    private boolean leader;
    private String failure;
    private volatile LeaderStatus status;
    /** The lock connection's backend pid ({@code pg_backend_pid()}), 0 without one: what the write fence looks for. */
    private volatile int lockPid;

    /**
     * @param statementTimeout the longest any statement on the lock connection may run (also its lock
     *        timeout, and the bound after which a silent idle session is cut by TCP keep-alive)
     */
    public LeaderElector(ConnectionSource source, long key, Duration statementTimeout) {
        this.source = source;
        this.key = key;
        this.statementTimeout = statementTimeout;
        this.status = LeaderStatus.notYet(key);
    }

    public LeaderStatus status() {
        return status;
    }

    public boolean isLeader() {
        return status.leader();
    }

    /**
     * The backend pid of the session that holds the lock for us, while we lead; empty otherwise. A write
     * transaction checks in {@code pg_locks} that this session still holds it (the fence).
     */
    public OptionalInt lockBackendPid() {
        int pid = lockPid;
        return status.leader() && pid != 0 ? OptionalInt.of(pid) : OptionalInt.empty();
    }

    /**
     * A leader checks that its lock connection still answers, and gives up leadership at once when it does not
     * (then tries again, like everyone else); everyone else tries to take the lock.
     */
    public LeaderStatus tick() {
        if (leader) {
            try {
                check();
                return status;
            } catch (SQLException e) {
                LOG.warnf(e, "leadership lost: the lock connection failed (%s); advisory lock %d is no longer ours", e.getMessage(), key);
                leader = false;
                status = new LeaderStatus(false, key, null, "lost: the lock connection failed: " + e.getMessage());
                closeConnection();
            }
        }
        tryToLead();
        return status;
    }

    /** Unlocks (when leading) and closes the connection, so another replica takes over at its next tick. */
    public void release() {
        boolean wasLeader = leader;
        leader = false;
        if (connection != null && wasLeader) {
            try (PreparedStatement unlock = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                unlock.setLong(1, key);
                unlock.execute();
                LOG.infof("leadership released: advisory lock %d unlocked", key);
            } catch (SQLException e) {
                // Closing the connection below ends the session, which releases the lock all the same.
                LOG.warnf(e, "could not unlock advisory lock %d (%s); closing its connection releases it", key, e.getMessage());
            }
        }
        closeConnection();
        status = new LeaderStatus(false, key, null, "released (shutting down)");
    }

    private void tryToLead() {
        boolean reused = connection != null;
        try {
            try {
                attempt();
            } catch (SQLException stale) {
                if (!reused) {
                    throw stale;
                }
                // A follower's idle connection may have died since the last tick (a server restart, an idle
                // timeout): that says nothing about the database now, so try once more on a fresh one.
                LOG.debugf("the idle lock connection failed (%s); trying a new one", stale.getMessage());
                closeConnection();
                attempt();
            }
            failure = null;
        } catch (SQLException e) {
            if (failure == null) {
                LOG.warnf(e, "cannot take part in the leader election (%s); retrying", e.getMessage());
            } else {
                LOG.debugf("leader election still failing: %s", e.getMessage());
            }
            failure = e.getMessage();
            // Closing the session releases a lock it may have just taken (the holder read failed after it).
            leader = false;
            status = new LeaderStatus(false, key, null, "cannot reach the database: " + e.getMessage());
            closeConnection();
        }
    }

    private void attempt() throws SQLException {
        if (connection == null) {
            connection = open();
        }
        if (tryLock()) {
            leader = true;
            String self = holder();
            status = new LeaderStatus(true, key, self, "leading");
            LOG.infof("leading: this instance holds advisory lock %d (%s)", key, self);
        } else {
            String holder = holder();
            if (failure != null || !status.state().equals("following")) {
                LOG.infof("following: advisory lock %d is held by %s", key, holder == null ? "a session that just ended" : holder);
            }
            status = new LeaderStatus(false, key, holder, "following");
        }
    }

    private Connection open() throws SQLException {
        Connection c = source.open();
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                long ms = statementTimeout.toMillis();
                long keepAliveSeconds = Math.max(1, statementTimeout.toSeconds());
                // Constants only (no outside input). The daemon sets no timeouts of its own; ours keep this session
                // from ever holding anything it could wait behind. Keep-alive: the server notices a vanished
                // leader (node lost, no FIN) within about 4 of these periods and frees the lock.
                s.execute("SET statement_timeout = " + ms);
                s.execute("SET lock_timeout = " + ms);
                s.execute("SET idle_in_transaction_session_timeout = " + ms);
                s.execute("SET tcp_keepalives_idle = " + keepAliveSeconds);
                s.execute("SET tcp_keepalives_interval = " + keepAliveSeconds);
                s.execute("SET tcp_keepalives_count = 3");
                try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    lockPid = rs.getInt(1);
                }
            }
            return c;
        } catch (SQLException e) {
            c.close();
            throw e;
        }
    }

    private boolean tryLock() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            s.setLong(1, key);
            s.setQueryTimeout(queryTimeoutSeconds());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private void check() throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.setQueryTimeout(queryTimeoutSeconds());
            s.execute("SELECT 1");
        }
    }

    /** Who holds the lock, from the server's lock table; null when nobody does. */
    private String holder() throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(HOLDER)) {
            s.setLong(1, key >>> 32);
            s.setLong(2, key & 0xffffffffL);
            s.setQueryTimeout(queryTimeoutSeconds());
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String name = rs.getString(2);
                return "pid " + rs.getInt(1) + (name == null || name.isEmpty() ? "" : " (" + name + ")");
            }
        }
    }

    private int queryTimeoutSeconds() {
        return (int) Math.max(1, statementTimeout.toSeconds());
    }

    private void closeConnection() {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            LOG.debugf("closing the lock connection: %s", e.getMessage());
        } finally {
            connection = null;
            lockPid = 0;
        }
    }
}
