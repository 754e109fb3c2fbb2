package dify.reconciler.inventory.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.TableRow;
import dify.reconciler.inventory.TenantSample;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

class DaemonDatabaseReaderTest {

    @Test
    void streamsEveryOrphanOnceWhenThereAreMoreThanTheParallelResultLimit() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            int orphans = DaemonDatabaseReader.PARALLEL_RESULT_LIMIT + 7;
            DaemonRows.on(db).copyCategoryRows("tool_installations", orphans,
                    n -> new DaemonRows.CategoryRow(new UUID(1, n), "p" + n, "acme/p:0.0.1@" + "a".repeat(64), "acme/p"));
            Set<String> ids = new HashSet<>();
            int[] delivered = {0};
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 1000, "test")) {
                reader.orphanedCategoryRows(List.of("tool_installations", "ai_model_installations"), (TableRow row) -> {
                    delivered[0]++;
                    ids.add(row.id());
                });
            }
            assertEquals(orphans, delivered[0]);
            assertEquals(orphans, ids.size());
        }
    }

    @Test
    void streamsOnlyInstalledDeclarationsAndCountsTheirTenantsWithABoundedSample() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            DaemonRows rows = DaemonRows.on(db);
            String wide = "acme/wide:0.0.1@" + "a".repeat(64);
            String narrow = "acme/narrow:0.0.1@" + "b".repeat(64);
            String uploaded = "acme/uploaded:0.0.1@" + "c".repeat(64);
            rows.insertDeclaration(wide, "acme/wide", "{\"name\":\"wide\"}");
            rows.insertDeclaration(narrow, "acme/narrow", "{\"name\":\"narrow\"}");
            rows.insertDeclaration(uploaded, "acme/uploaded", "{\"name\":\"uploaded\"}");
            List<String> tenants = new java.util.ArrayList<>();
            for (int t = 7; t >= 1; t--) { // inserted in reverse: the sample is ordered by PostgreSQL, not by insertion
                UUID tenant = new UUID(0x1000_0000_0000_4000L + t, 0x8000_0000_0000_0000L + t);
                tenants.add(0, tenant.toString());
                rows.insertInstallation(tenant, "acme/wide", wide, "local", "marketplace");
            }
            rows.insertInstallation(UUID.fromString(tenants.get(3)), "acme/narrow", narrow, "local", "package");

            Map<String, String> streamed = new java.util.TreeMap<>();
            Map<String, TenantSample> counted;
            // A fetch size of 1: every row comes in its own round trip through the cursor.
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 1, "test")) {
                reader.installedDeclarations(d -> streamed.put(d.uid(), d.json()));
                counted = reader.tenantsUsing(List.of(wide, narrow, uploaded), 5);
            }

            assertEquals(Map.of(narrow, "{\"name\":\"narrow\"}", wide, "{\"name\":\"wide\"}"), streamed);
            assertEquals(Map.of(wide, new TenantSample(7, tenants.subList(0, 5)), narrow,
                    new TenantSample(1, List.of(tenants.get(3))), uploaded, new TenantSample(0, List.of())), counted);
        }
    }

    @Test
    void refusesADatabaseWithoutTheDaemonsTables() {
        try (TestDatabase db = EmbeddedPostgres.shared().createDatabase()) {
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class,
                    () -> DaemonDatabaseReader.open(db.readerDataSource(), "public", 1000, "the test database"));
            assertTrue(e.getMessage().contains("does not exist in the test database"), e.getMessage());
        }
    }

    @Test
    void refusesATableThatLacksAColumnItReads() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            DaemonRows.on(db).execute("ALTER TABLE plugins DROP COLUMN refers");
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class,
                    () -> DaemonDatabaseReader.open(db.readerDataSource(), "public", 1000, "test"));
            assertTrue(e.getMessage().contains("has no column refers"), e.getMessage());
        }
    }

    @Test
    void failsInsteadOfHangingWhenAMigrationLocksATable() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                java.sql.Connection migration = db.connect()) {
            migration.setAutoCommit(false);
            migration.createStatement().execute("LOCK TABLE plugins IN ACCESS EXCLUSIVE MODE");
            try {
                java.sql.SQLException e = assertThrows(java.sql.SQLException.class, () -> {
                    try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 100,
                            java.time.Duration.ofMillis(200), "test")) {
                        reader.plugins();
                    }
                });
                assertTrue(e.getMessage().contains("lock timeout"), e.getMessage());
            } finally {
                migration.rollback();
            }
        }
    }

    @Test
    void yieldsAtOnceToADaemonMigrationSoTheDaemonNeverWaitsOnTheScan() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 100, "test")) {
            reader.plugins(); // the scan now holds ACCESS SHARE on plugins, idle between two statements
            ExecutorService daemon = Executors.newFixedThreadPool(2);
            try (Connection migration = connectAs(db, "dify-plugin-daemon-migrate");
                    Connection query = connectAs(db, "dify-plugin-daemon")) {
                migration.setAutoCommit(false);
                long t0 = System.nanoTime();
                Future<Long> granted = daemon.submit(() -> {
                    migration.createStatement().execute("ALTER TABLE plugins ADD COLUMN added_by_migration text");
                    long at = System.nanoTime() - t0;
                    migration.commit();
                    return at;
                });
                Thread.sleep(150); // the daemon's own queries arrive behind the queued ALTER
                long t1 = System.nanoTime();
                Future<Long> answered = daemon.submit(() -> {
                    try (ResultSet rs = query.createStatement().executeQuery("SELECT count(*) FROM plugins")) {
                        rs.next();
                        return System.nanoTime() - t1;
                    }
                });
                long grantedAfter = granted.get(10, TimeUnit.SECONDS);
                long answeredAfter = answered.get(10, TimeUnit.SECONDS);
                assertTrue(grantedAfter < Duration.ofSeconds(1).toNanos(), "lock granted after " + grantedAfter / 1_000_000 + " ms");
                assertTrue(answeredAfter < Duration.ofSeconds(2).toNanos(), "daemon query answered after "
                        + answeredAfter / 1_000_000 + " ms");
            } finally {
                daemon.shutdownNow();
            }
            ScanYieldedException e = assertThrows(ScanYieldedException.class, reader::declarations);
            assertTrue(e.getMessage().startsWith("yielded to a lock request from 'dify-plugin-daemon-migrate'"), e.getMessage());
            assertTrue(e.getMessage().contains("AccessExclusiveLock on plugins"), e.getMessage());
            assertThrows(ScanYieldedException.class, reader::endTransaction);
        }
    }

    @Test
    void endingTheTransactionReleasesTheLocksWithoutYielding() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                DaemonDatabaseReader reader = DaemonDatabaseReader.open(db.readerDataSource(), "public", 100, "test")) {
            reader.plugins();
            reader.endTransaction();
            try (Connection migration = connectAs(db, "dify-plugin-daemon-migrate")) {
                migration.createStatement().execute("SET lock_timeout = '2s'");
                migration.createStatement().execute("ALTER TABLE plugins ADD COLUMN added_by_migration text");
            }
            try (Connection c = db.connect();
                    ResultSet rs = c.createStatement().executeQuery(
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'")) {
                rs.next();
                assertEquals(0, rs.getInt(1), "no transaction of the scan is left open");
            }
        }
    }

    private static Connection connectAs(TestDatabase db, String applicationName) throws Exception {
        Connection c = db.connect();
        c.createStatement().execute("SET application_name = '" + applicationName + "'");
        return c;
    }

    @Test
    void readsInOneReadOnlySnapshotAsTheReadOnlyRole() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            DaemonRows daemon = DaemonRows.on(db);
            daemon.insertPlugin("acme/a:0.0.1@" + "a".repeat(64), "acme/a", 0, "local", null);
            Connection[] used = new Connection[1];
            DataSource recording = new PGSimpleDataSourceRecorder(db.readerDataSource(), used);
            try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(recording, "public", 100, "test")) {
                assertEquals(1, reader.plugins().size());
                daemon.insertPlugin("acme/b:0.0.1@" + "b".repeat(64), "acme/b", 0, "local", null); // committed meanwhile
                assertEquals(1, reader.plugins().size(), "a second query of the scan sees the first one's snapshot");
                try (var st = used[0].createStatement()) {
                    assertEquals("on", single(st, "SHOW transaction_read_only"));
                    assertEquals("repeatable read", single(st, "SHOW transaction_isolation"));
                    assertEquals(EmbeddedPostgres.READER_USER, single(st, "SELECT current_user"));
                }
                reader.endTransaction();
                assertThrows(IllegalStateException.class, reader::plugins, "no read outside the watched transaction");
            }
        }
    }

    private static String single(java.sql.Statement st, String sql) throws java.sql.SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

    /** Hands out the wrapped data source's connections and remembers the first: the scan's own connection. */
    private record PGSimpleDataSourceRecorder(DataSource delegate, Connection[] first) implements DataSource {
        @Override
        public Connection getConnection() throws java.sql.SQLException {
            Connection c = delegate.getConnection();
            if (first[0] == null) {
                first[0] = c;
            }
            return c;
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
