package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two electors on one embedded PostgreSQL database, as two replicas: each with its own connections, both as the
 * read-only role of report mode (advisory locks need no privilege). Ticks are called by hand, so "on its next
 * tick" is exact.
 */
class LeaderElectorTest {

    private static final long KEY = LeaderLockKey.of("plugin_reconciler");
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private static TestDatabase db;

    private final List<Replica> replicas = new ArrayList<>();

    @BeforeAll
    static void createDatabase() {
        db = SchemaFixture.CURRENT.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @AfterEach
    void releaseAll() {
        replicas.forEach(r -> r.elector.release());
    }

    /** An elector whose connections are recorded (to kill them) and can be refused (database unreachable). */
    private final class Replica {
        final String name;
        final List<Connection> opened = new ArrayList<>();
        final AtomicBoolean reachable = new AtomicBoolean(true);
        final LeaderElector elector;

        Replica(String name) {
            this.name = name;
            this.elector = new LeaderElector(this::open, KEY, TIMEOUT);
            replicas.add(this);
        }

        private Connection open() throws SQLException {
            if (!reachable.get()) {
                throw new SQLException("connection refused (test)", "08001");
            }
            Connection c = DriverManager.getConnection(db.jdbcUrl() + "?ApplicationName=" + name, db.username(), db.password());
            opened.add(c);
            return c;
        }

        Connection current() {
            return opened.get(opened.size() - 1);
        }

        int pid() throws SQLException {
            try (Statement s = current().createStatement(); ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    @Test
    void exactlyOneOfTwoElectorsLeadsAndTheOtherNamesTheHolder() {
        Replica a = new Replica("elector-a");
        Replica b = new Replica("elector-b");
        assertTrue(a.elector.tick().leader(), a.elector.status().state());
        LeaderStatus follower = b.elector.tick();
        assertFalse(follower.leader());
        assertEquals("following", follower.state());
        assertNotNull(follower.holder(), "the follower reads who holds the lock");
        assertTrue(follower.holder().endsWith("(elector-a)"), follower.holder());
        assertEquals(KEY, follower.key());
        for (int i = 0; i < 3; i++) {
            assertTrue(a.elector.tick().leader(), "the leader keeps leading");
            assertFalse(b.elector.tick().leader(), "the follower stays a follower");
        }
    }

    @Test
    void whenTheLeadersSessionEndsTheOtherLeadsOnItsNextTick() throws Exception {
        Replica a = new Replica("elector-a");
        Replica b = new Replica("elector-b");
        a.elector.tick();
        assertFalse(b.elector.tick().leader());
        int pid = a.pid();
        a.current().close(); // the process died: no unlock, only the session ends
        awaitBackendGone(pid);
        assertTrue(b.elector.tick().leader(), b.elector.status().state());
        assertFalse(a.elector.tick().leader(), "the old leader finds its connection gone and now follows");
        assertTrue(a.elector.status().holder().endsWith("(elector-b)"), a.elector.status().holder());
    }

    @Test
    void aLeaderWhoseConnectionIsLostDropsLeadershipAtOnceAndTriesAgain() throws Exception {
        Replica a = new Replica("elector-a");
        assertTrue(a.elector.tick().leader());
        int pid = a.pid();
        a.reachable.set(false);
        terminate(pid);
        LeaderStatus lost = a.elector.tick();
        assertFalse(lost.leader(), "a lost connection is lost leadership, on this very tick");
        assertFalse(a.elector.isLeader());
        assertTrue(lost.state().startsWith("cannot reach the database"), lost.state());
        a.reachable.set(true);
        assertTrue(a.elector.tick().leader(), "it tries again and, nobody else holding the lock, leads again");
        assertTrue(a.pid() != pid, "on a new session");
    }

    @Test
    void aFollowerWhoseIdleConnectionDiedStillTakesOverAtItsNextTick() throws Exception {
        Replica a = new Replica("elector-a");
        Replica b = new Replica("elector-b");
        a.elector.tick();
        assertFalse(b.elector.tick().leader());
        terminate(b.pid()); // e.g. an idle-session timeout or a server restart between two ticks
        a.elector.release();
        assertTrue(b.elector.tick().leader(), b.elector.status().state());
        assertEquals(2, b.opened.size(), "on a new connection");
    }

    @Test
    void releaseUnlocksSoTheOtherLeadsAtItsNextTickWithoutWaitingForTheSessionToEnd() {
        Replica a = new Replica("elector-a");
        Replica b = new Replica("elector-b");
        a.elector.tick();
        b.elector.tick();
        a.elector.release();
        assertFalse(a.elector.isLeader());
        assertTrue(b.elector.tick().leader());
    }

    @Test
    void theLockSessionIsIdleOutsideATransactionHoldsNoTableLockAndNeverBlocksTheDaemonsDdl() throws Exception {
        Replica a = new Replica("elector-a");
        a.elector.tick();
        int pid = a.pid();
        try (Connection superuser = db.server().connectTo(db.name())) {
            assertEquals("idle", query(superuser, "SELECT state FROM pg_stat_activity WHERE pid = ?", pid));
            assertEquals("advisory", query(superuser, "SELECT string_agg(DISTINCT locktype, ',') FROM pg_locks WHERE pid = ?", pid),
                    "the only lock of the session is the advisory lock");
        }
        try (Statement s = a.current().createStatement(); ResultSet rs = s.executeQuery("SHOW statement_timeout")) {
            rs.next();
            assertEquals("5s", rs.getString(1));
        }
        assertTrue(a.current().getAutoCommit());
        // The daemon's migrations take ACCESS EXCLUSIVE locks; with the lock held they must not wait at all.
        try (Connection daemon = db.connect(); Statement s = daemon.createStatement()) {
            s.execute("SET lock_timeout = '2s'");
            s.execute("ALTER TABLE plugins ADD COLUMN leader_test integer");
            s.execute("ALTER TABLE plugins DROP COLUMN leader_test");
        }
        assertTrue(a.elector.tick().leader());
    }

    @Test
    void anotherStateSchemaIsAnotherLockAndLeadsOnItsOwn() throws SQLException {
        Replica a = new Replica("elector-a");
        a.elector.tick();
        LeaderElector other = new LeaderElector(
                () -> DriverManager.getConnection(db.jdbcUrl(), db.username(), db.password()), LeaderLockKey.of("other_state"), TIMEOUT);
        try {
            assertTrue(other.tick().leader(), "a reconciler with its own state schema does not compete with ours");
            assertTrue(a.elector.tick().leader());
        } finally {
            other.release();
        }
    }

    private static void terminate(int pid) throws Exception {
        try (Connection superuser = db.server().connectTo(db.name());
                PreparedStatement s = superuser.prepareStatement("SELECT pg_terminate_backend(?)")) {
            s.setInt(1, pid);
            s.execute();
        }
        awaitBackendGone(pid);
    }

    private static void awaitBackendGone(int pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Connection superuser = db.server().connectTo(db.name())) {
            while (query(superuser, "SELECT count(*) FROM pg_stat_activity WHERE pid = ?", pid).equals("1")) {
                if (System.nanoTime() > deadline) {
                    fail("backend " + pid + " did not end within 10 s");
                }
                Thread.sleep(20);
            }
        }
    }

    private static String query(Connection c, String sql, int pid) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setInt(1, pid);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }
}
