package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

    @Test
    void sharedServerIsUtf8WithAnIcuCollationAndHandsOutFreshDatabases() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        assertTrue(pg.isRunning());
        System.out.println("[EmbeddedPostgresTest] shared server start took " + pg.lastStartupTime().toMillis() + " ms");
        try (TestDatabase a = pg.createDatabase(); TestDatabase b = pg.createDatabase()) {
            assertNotEquals(a.name(), b.name());
            assertEquals(pg.port(), a.port());
            assertEquals("localhost", a.host());
            assertTrue(a.jdbcUrl().endsWith("/" + a.name()));
            try (Connection c = a.connect(); Statement st = c.createStatement()) {
                assertEquals("UTF8", single(st, "SHOW server_encoding"));
                assertEquals("i en-US", single(st, "SELECT datlocprovider::text || ' ' || datlocale FROM pg_database"
                        + " WHERE datname = current_database()"));
                assertEquals("17", single(st, "SHOW server_version").split("\\.")[0]);
                // byte order only where asked for: 'B' (0x42) < 'a' (0x61) < 'é' (0xC3 0xA9); en-US otherwise
                assertEquals("B,a,é",
                        single(st, "SELECT string_agg(x, ',' ORDER BY x COLLATE \"C\") FROM (VALUES ('a'),('é'),('B')) v(x)"));
                assertEquals("a,B,é", single(st, "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('a'),('é'),('B')) v(x)"));
                st.execute("CREATE TABLE only_in_a (x int)");
            }
            try (Connection c = DriverManager.getConnection(b.jdbcUrl(), EmbeddedPostgres.DAEMON_USER,
                    EmbeddedPostgres.DAEMON_PASSWORD); Statement st = c.createStatement()) {
                assertEquals("0", single(st, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"));
            }
        }
    }

    @Test
    void everyUserAuthenticatesByPasswordTheOwnerIsNoSuperuserAndTheReaderMayOnlySelect() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        try (TestDatabase db = pg.createDatabase()) {
            try (Connection owner = db.connect(); Statement st = owner.createStatement()) {
                assertEquals("f", single(st, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
                assertEquals(EmbeddedPostgres.DAEMON_USER, single(st, "SELECT pg_get_userbyid(datdba) FROM pg_database"
                        + " WHERE datname = current_database()"));
                st.execute("CREATE TABLE plugins (id uuid PRIMARY KEY, refers bigint)");
                st.execute("INSERT INTO plugins VALUES (gen_random_uuid(), 1)");
            }
            try (Connection reader = db.readerDataSource().getConnection(); Statement st = reader.createStatement()) {
                assertEquals("1", single(st, "SELECT count(*) FROM plugins"));
                SQLException denied = assertThrows(SQLException.class, () -> st.execute("UPDATE plugins SET refers = 2"));
                assertEquals("42501", denied.getSQLState());
                SQLException noSchema = assertThrows(SQLException.class, () -> st.execute("CREATE SCHEMA plugin_reconciler"));
                assertEquals("42501", noSchema.getSQLState());
            }
            SQLException wrong = assertThrows(SQLException.class,
                    () -> DriverManager.getConnection(db.jdbcUrl(), db.username(), "not-the-password"));
            assertEquals("28P01", wrong.getSQLState(), "password authentication failed");
        }
    }

    @Test
    void dedicatedServerCanGoDownAndComeBack() throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startDedicated()) {
            System.out.println("[EmbeddedPostgresTest] dedicated server start took " + pg.lastStartupTime().toMillis() + " ms");
            assertNotEquals(EmbeddedPostgres.shared().port(), pg.port());
            TestDatabase db = pg.createDatabase();
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE survives (x int); INSERT INTO survives VALUES (42)");
            }
            pg.stop();
            assertFalse(pg.isRunning());
            SQLException down = assertThrows(SQLException.class, db::connect);
            assertTrue(down.getSQLState().startsWith("08"), "connection failure SQLState, got " + down.getSQLState());

            pg.start();
            System.out.println("[EmbeddedPostgresTest] dedicated server restart took " + pg.lastStartupTime().toMillis() + " ms");
            try (Connection c = db.connect(); Statement st = c.createStatement()) {
                assertEquals("42", single(st, "SELECT x FROM survives"));
            }
        }
        assertThrows(UnsupportedOperationException.class, () -> EmbeddedPostgres.shared().stop());
    }

    @Test
    void manyDatabasesInParallel() throws Exception {
        EmbeddedPostgres pg = EmbeddedPostgres.shared();
        List<TestDatabase> dbs = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                dbs.add(SchemaFixture.CURRENT.applyTo(pg.createDatabase()));
            }
            assertEquals(5, dbs.stream().map(TestDatabase::name).distinct().count());
        } finally {
            dbs.forEach(TestDatabase::close);
        }
    }

    static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }
}
