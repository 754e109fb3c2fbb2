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
    void sharedServerIsUtf8WithCCollationAndHandsOutFreshDatabases() throws Exception {
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
                assertEquals("C", single(st, "SELECT datcollate FROM pg_database WHERE datname = current_database()"));
                assertEquals("17", single(st, "SHOW server_version").split("\\.")[0]);
                // byte order: 'B' (0x42) < 'a' (0x61) < 'é' (0xC3 0xA9)
                assertEquals("B,a,é", single(st, "SELECT string_agg(x, ',' ORDER BY x COLLATE \"C\") FROM (VALUES ('a'),('é'),('B')) v(x)"));
                assertEquals("B,a,é", single(st, "SELECT string_agg(x, ',' ORDER BY x) FROM (VALUES ('a'),('é'),('B')) v(x)"));
                st.execute("CREATE TABLE only_in_a (x int)");
            }
            try (Connection c = DriverManager.getConnection(b.jdbcUrl(), b.username(), b.password());
                 Statement st = c.createStatement()) {
                assertEquals("0", single(st, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"));
            }
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
