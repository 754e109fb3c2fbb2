package dify.reconciler.inventory.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.TableRow;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * The category rows' anti-join on a side session that shares the scan's snapshot ({@link SnapshotSideQuery}): the same
 * rows as on the scan's own connection, exactly the scan's snapshot, the lock watch covering it, its failures failing
 * the scan, and the scan's own connection taking over where the snapshot cannot be shared.
 */
class SnapshotSideQueryTest {

    private static final List<String> TABLES = List.of("tool_installations", "ai_model_installations");
    private static final String UID = "acme/p:0.0.1@" + "a".repeat(64);
    private static final String OTHER_UID = "acme/q:0.0.1@" + "b".repeat(64);

    @Test
    void findsTheSameOrphansAsTheScansOwnConnection() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Set<String> planted = plantOrphans(db);
            Sessions side = new Sessions(db.readerDataSource());
            assertEquals(planted, orphanIds(db, side));
            assertEquals(1, side.opened(), "the anti-join ran on a side session");
            assertEquals(planted, orphanIds(db, null), "and on the scan's own connection");
        }
    }

    @Test
    void streamsEveryOrphanOnTheScansConnectionWhenTheSideHitsTheBound() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            int orphans = DaemonDatabaseReader.PARALLEL_RESULT_LIMIT + 7;
            DaemonRows.on(db).copyCategoryRows("tool_installations", orphans,
                    n -> new DaemonRows.CategoryRow(new UUID(1, n), "p" + n, UID, "acme/p"));
            Sessions side = new Sessions(db.readerDataSource());
            List<String> delivered = new ArrayList<>();
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), side, "public", 1000,
                    Duration.ofSeconds(30), "test")) {
                reader.startOrphanedCategoryRows(TABLES);
                reader.orphanedCategoryRows(TABLES, row -> delivered.add(row.id()));
            }
            assertEquals(1, side.opened());
            assertEquals(orphans, delivered.size());
            assertEquals(orphans, new TreeSet<>(delivered).size(), "each orphan once");
        }
    }

    @Test
    void theSideSeesTheScansSnapshotNotRowsCommittedSinceItBegan() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Set<String> planted = plantOrphans(db);
            Sessions side = new Sessions(db.readerDataSource());
            Set<String> seen = new TreeSet<>();
            String late;
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), side, "public", 1000,
                    Duration.ofSeconds(30), "test")) {
                // Committed after the scan's transaction began, before the side session starts.
                late = DaemonRows.on(db).insertCategoryRow("tool_installations", new UUID(9, 9), "late", UID, "acme/p").toString();
                reader.startOrphanedCategoryRows(TABLES);
                reader.orphanedCategoryRows(TABLES, row -> seen.add(row.id()));
            }
            assertEquals(1, side.opened(), "the anti-join ran on a side session");
            assertEquals(planted, seen);
            Set<String> now = orphanIds(db, side);
            assertTrue(now.contains(late), "a scan begun later sees the late row: " + now);
        }
    }

    @Test
    void aLockRequestWaitingOnTheSideMakesTheScanYieldAtOnceEndingBothBackends() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            plantOrphans(db);
            slowDownToolInstallations(db);
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), db.readerDataSource(), "public",
                    100, Duration.ofSeconds(30), "test")) {
                reader.plugins(); // the scan's own backend holds ACCESS SHARE on plugins only
                reader.startOrphanedCategoryRows(TABLES);
                int sidePid = runningSideQuery(db);
                List<Integer> scanBackends = readerBackends(db);
                assertEquals(3, scanBackends.size(), "the scan's, its side session's and the watch's: " + scanBackends);
                int scanPid = idleInTransaction(db);
                long grantedAfter;
                try (Connection migration = db.connect()) {
                    migration.createStatement().execute("SET application_name = 'dify-plugin-daemon-migrate'");
                    migration.setAutoCommit(false);
                    long t0 = System.nanoTime();
                    CompletableFuture<Long> granted = CompletableFuture.supplyAsync(() -> {
                        try (Statement st = migration.createStatement()) {
                            st.execute("LOCK TABLE tool_installations_data IN ACCESS EXCLUSIVE MODE");
                            return System.nanoTime() - t0;
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    grantedAfter = granted.get(20, TimeUnit.SECONDS);
                    migration.rollback();
                }
                assertTrue(grantedAfter < Duration.ofSeconds(1).toNanos(), "lock granted after " + grantedAfter / 1_000_000 + " ms");
                ScanYieldedException e = assertThrows(ScanYieldedException.class,
                        () -> reader.orphanedCategoryRows(TABLES, row -> {}));
                assertTrue(e.getMessage().startsWith("yielded to a lock request from 'dify-plugin-daemon-migrate'"),
                        e.getMessage());
                assertTrue(e.getMessage().contains("AccessExclusiveLock on tool_installations_data"), e.getMessage());
                List<Integer> left = awaitReaderBackends(db, 1);
                assertFalse(left.contains(sidePid), "the side backend is gone: " + left);
                assertFalse(left.contains(scanPid), "the scan's backend is gone: " + left);
            }
            assertEquals(List.of(), awaitReaderBackends(db, 0));
            assertEquals(List.of(), sideThreads());
        }
    }

    @Test
    void theSidesOwnFailureFailsTheScanWithItsErrorAndLeavesNoThread() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            plantOrphans(db);
            slowDownToolInstallations(db);
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), db.readerDataSource(), "public",
                    100, Duration.ofSeconds(30), "test")) {
                reader.startOrphanedCategoryRows(TABLES);
                int sidePid = runningSideQuery(db);
                try (Connection c = db.readerDataSource().getConnection();
                        PreparedStatement terminate = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
                    terminate.setInt(1, sidePid);
                    terminate.execute();
                }
                long t0 = System.nanoTime();
                SQLException e = assertThrows(SQLException.class, () -> reader.orphanedCategoryRows(TABLES, row -> {}));
                assertTrue(e.getMessage().startsWith("the category rows' anti-join on the side session failed: "), e.getMessage());
                assertTrue(e.getMessage().contains("terminating connection due to administrator command"), e.getMessage());
                assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "no hang");
                assertEquals(List.of(), sideThreads());
            }
            assertEquals(List.of(), awaitReaderBackends(db, 0));
        }
    }

    @Test
    void aScanThatFailsBeforeAskingForTheRowsCancelsTheSideAndClosesIt() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            plantOrphans(db);
            slowDownToolInstallations(db);
            long t0;
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), db.readerDataSource(), "public",
                    100, Duration.ofSeconds(30), "test")) {
                reader.startOrphanedCategoryRows(TABLES);
                runningSideQuery(db);
                t0 = System.nanoTime();
            }
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "closed without waiting for the slow query");
            assertEquals(List.of(), awaitReaderBackends(db, 0));
            assertEquals(List.of(), sideThreads());
        }
    }

    @Test
    void readsOnTheScansConnectionWhenTheSnapshotCannotBeExported() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Set<String> planted = plantOrphans(db);
            try (Connection admin = db.server().connectTo(db.name())) {
                admin.createStatement().execute("REVOKE EXECUTE ON FUNCTION pg_export_snapshot() FROM PUBLIC");
            }
            Sessions side = new Sessions(db.readerDataSource());
            assertEquals(planted, orphanIds(db, side));
            assertEquals(0, side.opened(), "no side session without a snapshot to share");
        }
    }

    @Test
    void readsOnTheScansConnectionWhenTheSideCannotImportTheSnapshot() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                TestDatabase elsewhere = SchemaFixture.CURRENT.newDatabase()) {
            Set<String> planted = plantOrphans(db);
            Sessions side = new Sessions(elsewhere.readerDataSource()); // a snapshot is not imported from another database
            assertEquals(planted, orphanIds(db, side));
            assertEquals(1, side.opened());
            assertEquals(List.of(), awaitReaderBackends(elsewhere, 0), "the refused side session is closed");
        }
    }

    /** Two installations with their category rows, and three orphans: the ids of the orphans. */
    private static Set<String> plantOrphans(TestDatabase db) {
        DaemonRows rows = DaemonRows.on(db);
        UUID a = new UUID(1, 1);
        UUID b = new UUID(1, 2);
        rows.insertInstallation(a, "acme/p", UID, "local", "marketplace");
        rows.insertInstallation(b, "acme/q", OTHER_UID, "local", "marketplace");
        rows.insertCategoryRow("tool_installations", a, "p", UID, "acme/p");
        rows.insertCategoryRow("ai_model_installations", b, "q", OTHER_UID, "acme/q");
        Set<String> orphans = new TreeSet<>();
        orphans.add(rows.insertCategoryRow("tool_installations", b, "p", UID, "acme/p").toString()); // b has q, not p
        orphans.add(rows.insertCategoryRow("tool_installations", a, "p", OTHER_UID, "acme/p").toString()); // other version
        orphans.add(rows.insertCategoryRow("ai_model_installations", new UUID(1, 3), "q", OTHER_UID, "acme/q").toString());
        return orphans;
    }

    /** The orphans' ids as a scan reads them: the side session started first, or (sideSessions null) none. */
    private static Set<String> orphanIds(TestDatabase db, DataSource sideSessions) throws SQLException {
        Set<String> ids = new TreeSet<>();
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), sideSessions, "public", 1000,
                Duration.ofSeconds(30), "test")) {
            reader.startOrphanedCategoryRows(TABLES);
            reader.plugins();
            reader.orphanedCategoryRows(TABLES, (TableRow row) -> ids.add(row.id()));
            reader.endTransaction();
        }
        assertEquals(List.of(), sideThreads());
        return ids;
    }

    /**
     * Puts {@code tool_installations}' rows behind a view that sleeps 30 s per row, so the anti-join runs while the test
     * acts; the scan reads the view as it reads the table.
     */
    private static void slowDownToolInstallations(TestDatabase db) throws SQLException {
        try (Connection admin = db.server().connectTo(db.name()); Statement st = admin.createStatement()) {
            st.execute("ALTER TABLE tool_installations RENAME TO tool_installations_data");
            st.execute("CREATE FUNCTION test_sleep_then_true() RETURNS boolean LANGUAGE plpgsql AS"
                    + " $$ BEGIN PERFORM pg_sleep(30); RETURN true; END $$");
            st.execute("CREATE VIEW tool_installations AS SELECT * FROM tool_installations_data WHERE test_sleep_then_true()");
            st.execute("GRANT SELECT ON tool_installations TO " + EmbeddedPostgres.READER_USER);
        }
    }

    /** Waits until the side session runs the anti-join; its backend pid. */
    private static int runningSideQuery(TestDatabase db) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try (Connection c = db.server().connectTo(db.name()); // as the superuser: another role's query text is hidden
                PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND state = 'active' AND query LIKE 'WITH found AS MATERIALIZED%'")) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        int pid = rs.getInt(1);
                        assertNotEquals(0, pid);
                        return pid;
                    }
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the side query never ran");
    }

    /** The reconciler's backends once at most {@code atMost} are left (they end a moment after they are told to). */
    private static List<Integer> awaitReaderBackends(TestDatabase db, int atMost) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<Integer> pids = readerBackends(db);
        while (pids.size() > atMost && System.nanoTime() < deadline) {
            Thread.sleep(20);
            pids = readerBackends(db);
        }
        return pids;
    }

    private static int idleInTransaction(TestDatabase db) throws SQLException {
        try (Connection c = db.server().connectTo(db.name());
                PreparedStatement ps = c.prepareStatement("SELECT pid FROM pg_stat_activity"
                        + " WHERE datname = current_database() AND usename = ? AND state = 'idle in transaction'")) {
            ps.setString(1, EmbeddedPostgres.READER_USER);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "the scan's backend, idle in its transaction");
                return rs.getInt(1);
            }
        }
    }

    /** Backends of the reconciler's role in {@code db}. */
    private static List<Integer> readerBackends(TestDatabase db) throws SQLException {
        List<Integer> pids = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = ? ORDER BY pid")) {
            ps.setString(1, EmbeddedPostgres.READER_USER);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pids.add(rs.getInt(1));
                }
            }
        }
        return pids;
    }

    private static List<String> sideThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("scan-side-query-")).toList();
    }

    /** Hands out {@code delegate}'s sessions and counts them. */
    private static final class Sessions implements DataSource {
        private final DataSource delegate;
        private final AtomicInteger opened = new AtomicInteger();

        Sessions(DataSource delegate) {
            this.delegate = delegate;
        }

        int opened() {
            return opened.get();
        }

        @Override
        public Connection getConnection() throws SQLException {
            opened.incrementAndGet();
            return delegate.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) {
            throw new UnsupportedOperationException();
        }

        @Override
        public java.io.PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(java.io.PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public java.util.logging.Logger getParentLogger() {
            return java.util.logging.Logger.getGlobal();
        }

        @Override
        public <T> T unwrap(Class<T> iface) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
