package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.PrintWriter;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.time.Duration;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Where state lives, decided against a real PostgreSQL with the daemon's owner and the SELECT-only role. */
class StateStoreTest {

    @Test
    void theOwnerMigratesOurSchemaAndAReadOnlyRoleThatFindsItAlreadyCreatedStaysInMemory() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore owner = store(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, owner.ensure());

            // The schema exists now, so Flyway's migrate is a no-op for the reader: that must not mean "persisted".
            // Nor is Flyway tried: the rights query alone decides (one connection; Flyway opens its own).
            CountedConnections reader = new CountedConnections(db.readerDataSource());
            StateStore readerStore = store(reader);
            assertEquals(StateStore.Mode.MEMORY, readerStore.ensure());
            assertEquals("cannot create or update our schema: no right to write the tables of schema plugin_reconciler"
                    + " (another role created them; grant INSERT, UPDATE, DELETE on them to this user)", readerStore.reason());
            assertEquals(1, reader.opened(), "connections the reader's store opened");
        }
    }

    @Test
    void aReadOnlyRoleWithoutUsageOnOurSchemaStaysInMemoryWithPostgresWordsAndNoFlywayAttempt() throws SQLException {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("REVOKE USAGE ON SCHEMA plugin_reconciler FROM " + EmbeddedPostgres.READER_USER);
            }
            CountedConnections reader = new CountedConnections(db.readerDataSource());
            StateStore readerStore = store(reader);
            assertEquals(StateStore.Mode.MEMORY, readerStore.ensure());
            // The reason Flyway's failed attempt gave before the rights were asked first (issue 20's 15 M log).
            assertEquals("cannot create or update our schema: ERROR: permission denied for schema plugin_reconciler",
                    readerStore.reason());
            assertEquals(1, reader.opened(), "connections the reader's store opened");
        }
    }

    @Test
    void theOwnerOnAnUpToDateSchemaIsPersistedWithoutAFlywayAttemptAndAChangedChecksumStillGoesToFlyway() throws SQLException {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            // Our checksums are the ones Flyway recorded for our files.
            try (Connection c = db.dataSource().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s
                            .executeQuery("SELECT script, checksum FROM plugin_reconciler.flyway_schema_history WHERE type = 'SQL'")) {
                int rows = 0;
                while (rs.next()) {
                    assertEquals(rs.getInt(2), StateMigrations.checksum(rs.getString(1)), rs.getString(1));
                    rows++;
                }
                assertEquals(StateMigrations.FILES.size(), rows);
            }

            CountedConnections owner = new CountedConnections(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, store(owner).ensure());
            assertEquals(3, owner.opened(), "the rights, the history and the write check; Flyway opens more");

            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("UPDATE plugin_reconciler.flyway_schema_history SET checksum = checksum + 1 WHERE version = '3'");
            }
            StateStore edited = store(db.dataSource());
            assertEquals(StateStore.Mode.MEMORY, edited.ensure(), "Flyway's validation still refuses a changed migration");
            assertTrue(edited.reason().contains("Validate failed"), edited.reason());
        }
    }

    @Test
    void theOwnerStillMigratesAnOlderSchemaAfterTheRightsQuery() throws SQLException {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                // As the release before V14 left it: V14 only added these columns. V15 (later) only re-declares
                // collations and re-creates a view, so running it again on its own result is harmless: its history
                // row goes too, or Flyway would refuse a V14 missing below an applied V15.
                s.execute("ALTER TABLE plugin_reconciler.scan_findings DROP COLUMN kind_code, DROP COLUMN identifier_code,"
                        + " DROP COLUMN plugin_code, DROP COLUMN tenant_code, DROP COLUMN evidence_code");
                s.execute("DELETE FROM plugin_reconciler.flyway_schema_history WHERE version IN ('14', '15')");
            }
            assertEquals(StateStore.Mode.PERSISTED, store(db.dataSource()).ensure());
            try (Connection c = db.dataSource().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT (SELECT max(version::int) FROM plugin_reconciler.flyway_schema_history),"
                            + " (SELECT count(*) FROM information_schema.columns WHERE table_schema = 'plugin_reconciler'"
                            + " AND table_name = 'scan_findings' AND column_name = 'kind_code')")) {
                rs.next();
                assertEquals(StateMigrations.FILES.size(), rs.getInt(1), "the last migration is recorded again");
                assertEquals(1, rs.getInt(2), "and ran: its column is back");
            }
        }
    }

    @Test
    void aReadOnlyRoleThatMayNotCreateTheSchemaStaysInMemoryAndSaysWhy() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore reader = store(db.readerDataSource());
            assertEquals(StateStore.Mode.MEMORY, reader.ensure());
            assertTrue(reader.reason().contains("permission denied"), reader.reason());
        }
    }

    /** A data source that counts the connections opened through it. */
    static final class CountedConnections implements DataSource {
        private final DataSource target;
        private int opened;

        CountedConnections(DataSource target) {
            this.target = target;
        }

        @Override
        public Connection getConnection() throws SQLException {
            opened++;
            return target.getConnection();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            opened++;
            return target.getConnection(username, password);
        }

        int opened() {
            return opened;
        }

        @Override
        public PrintWriter getLogWriter() throws SQLException {
            return target.getLogWriter();
        }

        @Override
        public void setLogWriter(PrintWriter out) throws SQLException {
            target.setLogWriter(out);
        }

        @Override
        public void setLoginTimeout(int seconds) throws SQLException {
            target.setLoginTimeout(seconds);
        }

        @Override
        public int getLoginTimeout() throws SQLException {
            return target.getLoginTimeout();
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            return target.getParentLogger();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            return target.unwrap(iface);
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) throws SQLException {
            return target.isWrapperFor(iface);
        }
    }

    private static StateStore store(DataSource dataSource) {
        StateStore store = new StateStore();
        store.dataSource = dataSource;
        store.config = config("plugin_reconciler");
        store.role = ProcessMode.SERVICE;
        return store;
    }

    /** Only {@code state()} is asked for; anything else is a test bug. */
    static ReconcilerConfig config(String schema) {
        ReconcilerConfig.State state = (ReconcilerConfig.State) Proxy.newProxyInstance(StateStoreTest.class.getClassLoader(),
                new Class<?>[] {ReconcilerConfig.State.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "schema" -> schema;
                    case "retention" -> Duration.ofDays(30);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (ReconcilerConfig) Proxy.newProxyInstance(StateStoreTest.class.getClassLoader(),
                new Class<?>[] {ReconcilerConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("state")) {
                        return state;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
