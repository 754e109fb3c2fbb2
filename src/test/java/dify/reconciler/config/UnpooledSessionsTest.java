package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A session outside the pool is made as the pool's are (URL, user, password, the driver properties of
 * {@code DB_TYPE}/{@code DB_EXTRAS}), with what its user sets itself winning over the URL's parameters, on a real
 * PostgreSQL: both the lock connection's way ({@link UnpooledSessions#open}) and the inventory listing's
 * ({@link UnpooledSessions#dataSource}).
 */
class UnpooledSessionsTest {

    @Test
    void removesTheParametersItsUserSetsItselfAndKeepsTheRest() {
        Set<String> own = Set.of("ApplicationName", "connectTimeout", "socketTimeout", "tcpKeepAlive");
        assertEquals("jdbc:postgresql://db:5432/dify_plugin?sslmode=require", UnpooledSessions.urlWithout(
                "jdbc:postgresql://db:5432/dify_plugin?sslmode=require&ApplicationName=dify-plugin-reconciler"
                        + "&connectTimeout=10&socketTimeout=900",
                own));
        assertEquals("jdbc:postgresql://db/x?a=1&sslrootcert=/etc/ca.pem",
                UnpooledSessions.urlWithout("jdbc:postgresql://db/x?a=1&tcpKeepAlive=false&sslrootcert=/etc/ca.pem", own));
        assertEquals("jdbc:postgresql://db/x", UnpooledSessions.urlWithout("jdbc:postgresql://db/x?socketTimeout=900", own));
        assertEquals("jdbc:postgresql://db/x", UnpooledSessions.urlWithout("jdbc:postgresql://db/x", own));
        assertEquals("jdbc:postgresql://db/x?socketTimeout=900",
                UnpooledSessions.urlWithout("jdbc:postgresql://db/x?socketTimeout=900", Set.of()), "nothing of its own");
    }

    @Test
    void carriesTheUserThePasswordAndThePoolsDriverPropertiesUnderItsOwn() {
        UnpooledSessions sessions = new UnpooledSessions("jdbc:postgresql://db/x", "reader", "secret",
                Map.of("prepareThreshold", "0", "options", "-c search_path=plugins"));
        Properties p = sessions.properties(Map.of("ApplicationName", "mine", "prepareThreshold", "5"));
        assertEquals("reader", p.getProperty("user"));
        assertEquals("secret", p.getProperty("password"));
        assertEquals("5", p.getProperty("prepareThreshold"), "its own wins");
        assertEquals("-c search_path=plugins", p.getProperty("options"));
        assertEquals("mine", p.getProperty("ApplicationName"));
        assertFalse(new UnpooledSessions("jdbc:postgresql://db/x", "u", null, Map.of()).properties(Map.of())
                .containsKey("password"));
    }

    @Test
    void opensSessionsAsThePoolDoesWithItsOwnNameOverTheUrls() throws SQLException {
        try (TestDatabase db = EmbeddedPostgres.shared().createDatabase()) {
            UnpooledSessions sessions = new UnpooledSessions(db.jdbcUrl() + "?ApplicationName=the-pools-name&connectTimeout=10",
                    EmbeddedPostgres.DAEMON_USER, EmbeddedPostgres.DAEMON_PASSWORD,
                    JdbcConnectionProperties.of(DatabaseType.POSTGRESQL, "-c search_path=plugins,public"));
            Map<String, String> own = Map.of("ApplicationName", "outside the pool", "tcpKeepAlive", "true");
            try (Connection lock = sessions.open(own); Connection inventory = sessions.dataSource(own).getConnection()) {
                for (Connection c : List.of(lock, inventory)) {
                    assertEquals(List.of("outside the pool", "plugins,public", EmbeddedPostgres.DAEMON_USER),
                            settings(c, "application_name", "search_path", "session_authorization"));
                }
            }
            try (Connection pools = sessions.open(Map.of())) {
                assertEquals(List.of("the-pools-name"), settings(pools, "application_name"), "the URL's when it sets none");
            }
            assertThrows(IllegalArgumentException.class, () -> sessions.dataSource(Map.of("noSuchProperty", "1")));
        }
    }

    private static List<String> settings(Connection c, String... names) throws SQLException {
        List<String> values = new java.util.ArrayList<>();
        try (Statement st = c.createStatement()) {
            for (String name : names) {
                try (ResultSet rs = st.executeQuery("SHOW " + name)) {
                    rs.next();
                    values.add(rs.getString(1));
                }
            }
        }
        return values;
    }
}
