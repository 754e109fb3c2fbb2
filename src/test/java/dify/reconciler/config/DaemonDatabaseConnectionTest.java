package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.inventory.postgres.DaemonSchemaException;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import io.smallrye.config.ConfigSourceFactory;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code DB_TYPE} and {@code DB_EXTRAS} against a real PostgreSQL: the driver properties they turn into change
 * what the connection does (its search_path, its server-side prepared statements), and they reach the
 * datasource through {@link DaemonDatasourceConfigSourceFactory}.
 */
class DaemonDatabaseConnectionTest {

    private static TestDatabase db;

    @BeforeAll
    static void daemonTablesInAnotherSchema() throws SQLException {
        db = EmbeddedPostgres.shared().createDatabase();
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA plugin_daemon");
            st.execute("SET search_path = plugin_daemon");
            SchemaFixture.CURRENT.applyTo(c);
        }
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    private static Connection connect(Map<String, String> env) throws SQLException {
        Map<String, String> all = new HashMap<>(env);
        all.put("DB_HOST", db.host());
        all.put("DB_USERNAME", db.username());
        DaemonSettings settings = DaemonSettings.from(name -> Optional.ofNullable(all.get(name)));
        Properties properties = new Properties();
        properties.putAll(settings.jdbcProperties());
        properties.setProperty("user", db.username());
        properties.setProperty("password", db.password());
        return DriverManager.getConnection(db.jdbcUrl(), properties);
    }

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void dbExtrasSetsTheSearchPathAndTheDaemonsTablesAreFoundThere() throws SQLException {
        try (Connection c = connect(Map.of("DB_EXTRAS", "-c search_path=plugin_daemon"))) {
            assertEquals("plugin_daemon", single(c, "SHOW search_path"));
            DaemonSchema schema = DaemonSchema.inspect(c, null, "test database");
            assertEquals("plugin_daemon", schema.schemaName());
            assertTrue(schema.hasTable(DaemonSchema.PLUGINS));
        }
    }

    @Test
    void theDaemonsOptionsPrefixIsAcceptedToo() throws SQLException {
        try (Connection c = connect(Map.of("DB_EXTRAS", "options=-c search_path=plugin_daemon"))) {
            assertEquals("plugin_daemon", single(c, "SHOW search_path"));
        }
    }

    @Test
    void withoutDbExtrasTheDefaultSchemaIsPublicWhereTheTablesAreNot() throws SQLException {
        try (Connection c = connect(Map.of())) {
            assertEquals("public", single(c, "SELECT current_schema()"));
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class, () -> DaemonSchema.inspect(c, null, "test database"));
            assertTrue(e.getMessage().matches("table public\\.plugin\\w* does not exist in test database.*"), e.getMessage());
        }
    }

    @Test
    void aSearchPathWithoutAnExistingSchemaFailsClearly() throws SQLException {
        try (Connection c = connect(Map.of("DB_EXTRAS", "-c search_path=no_such_schema"))) {
            DaemonSchemaException e = assertThrows(DaemonSchemaException.class, () -> DaemonSchema.inspect(c, null, "test database"));
            assertTrue(e.getMessage().startsWith("no schema on the search_path exists in test database"), e.getMessage());
        }
    }

    @Test
    void pgbouncerPreparesNothingOnTheServer() throws SQLException {
        assertEquals(0, serverSidePreparedStatementsAfterRepeatedQueries(Map.of("DB_TYPE", "pgbouncer")));
        // The control: plain PostgreSQL lets the driver prepare a statement it runs again and again.
        assertTrue(serverSidePreparedStatementsAfterRepeatedQueries(Map.of("DB_TYPE", "postgresql")) > 0);
    }

    private static long serverSidePreparedStatementsAfterRepeatedQueries(Map<String, String> env) throws SQLException {
        try (Connection c = connect(env); PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_class WHERE relname = ?")) {
            for (int i = 0; i < 10; i++) {
                ps.setString(1, "plugins");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                }
            }
            return Long.parseLong(single(c, "SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql"));
        }
    }

    @Test
    void theConfigSourceHandsTheDriverPropertiesToTheDatasource() {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withSources(new PropertiesConfigSource(Map.of("DB_TYPE", "pgbouncer", "DB_EXTRAS", "-c search_path=plugin_daemon"),
                        "env", 300))
                .withSources(new DaemonDatasourceConfigSourceFactory())
                .build();
        assertEquals("0", config.getConfigValue("quarkus.datasource.jdbc.additional-jdbc-properties.prepareThreshold").getRawValue());
        assertEquals("-c search_path=plugin_daemon",
                config.getConfigValue("quarkus.datasource.jdbc.additional-jdbc-properties.options").getRawValue());
    }

    @Test
    void theConfigSourceAddsNothingForPlainPostgresqlOrAValueItCannotRead() {
        assertEquals(Map.of(), DaemonDatasourceConfigSourceFactory.derive(name -> Optional.empty()));
        assertEquals(Map.of(), DaemonDatasourceConfigSourceFactory.derive(
                name -> name.equals("DB_TYPE") ? Optional.of("mysql") : Optional.of("-c search_path=x")));
    }

    @Test
    void theConfigSourceIsRegisteredForQuarkus() {
        assertTrue(ServiceLoader.load(ConfigSourceFactory.class).stream()
                .anyMatch(p -> p.type() == DaemonDatasourceConfigSourceFactory.class));
    }
}
