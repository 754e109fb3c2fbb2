package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SchemaFixtureTest {

    private final List<TestDatabase> databases = new ArrayList<>();

    private TestDatabase fresh(SchemaFixture fixture) {
        TestDatabase db = EmbeddedPostgres.shared().createDatabase();
        databases.add(db);
        return fixture.applyTo(db);
    }

    @AfterEach
    void drop() {
        databases.forEach(TestDatabase::close);
    }

    @Test
    void currentCreatesExactlyTheDaemonTablesAndIndexNames() throws Exception {
        TestDatabase db = fresh(SchemaFixture.CURRENT);
        assertEquals(new TreeSet<>(SchemaFixture.CURRENT.tables()), tables(db));
        Set<String> indexes = indexes(db);
        for (String name : List.of("idx_plugin_unique_identifier", "idx_plugins_plugin_id", "idx_plugins_install_type",
                "idx_tenant_plugin", "idx_plugin_installations_tenant_id", "idx_plugin_installations_plugin_id",
                "idx_plugin_installations_plugin_unique_identifier", "uni_plugin_declarations_plugin_unique_identifier",
                "idx_plugin_declarations_plugin_id", "uni_endpoints_hook_id", "idx_endpoints_tenant_id",
                "uni_serverless_runtimes_plugin_unique_identifier", "idx_serverless_runtimes_checksum",
                "idx_install_tasks_status", "idx_tenant_storages_tenant_id", "idx_tenant_storages_plugin_id",
                "idx_ai_model_installations_provider", "idx_trigger_installations_plugin_id",
                "idx_datasource_installations_tenant_id", "idx_plugin_readme_records_plugin_unique_identifier")) {
            assertTrue(indexes.contains(name), "missing index " + name + " in " + indexes);
        }
        assertTrue(!indexes.contains("idx_plugins_plugin_unique_identifier"));
        // column order and types the daemon relies on
        assertEquals(List.of("id:uuid", "created_at:timestamp with time zone", "updated_at:timestamp with time zone",
                "provider:character varying(127)", "tenant_id:uuid", "plugin_unique_identifier:character varying(255)",
                "plugin_id:character varying(255)"),
                columns(db, "ai_model_installations"));
        assertTrue(columns(db, "endpoints").contains("tenant_id:character varying(64)"));
        assertEquals(0, countWhere(db, "SELECT count(*) FROM pg_extension WHERE extname = 'uuid-ossp'"));
    }

    @Test
    void currentRejectsDuplicateInstallationsAndPlugins() {
        TestDatabase db = fresh(SchemaFixture.CURRENT);
        DaemonRows rows = DaemonRows.on(db);
        UUID tenant = UUID.randomUUID();
        rows.insertInstallation(tenant, "langgenius/openai", Uids.OPENAI, "local", "marketplace");
        var dup = assertThrows(DaemonRows.DaemonRowsException.class,
                () -> rows.insertInstallation(tenant, "langgenius/openai", Uids.OPENAI_OTHER, "local", "marketplace"));
        assertEquals("23505", dup.sqlState());
        assertTrue(dup.getMessage().contains("idx_tenant_plugin"), dup.getMessage());

        rows.insertPlugin(Uids.OPENAI, "langgenius/openai", 1, "local", null);
        var dupPlugin = assertThrows(DaemonRows.DaemonRowsException.class,
                () -> rows.insertPlugin(Uids.OPENAI, "langgenius/openai", 1, "local", null));
        assertEquals("23505", dupPlugin.sqlState());
        assertTrue(dupPlugin.getMessage().contains("idx_plugin_unique_identifier"), dupPlugin.getMessage());

        // the id has no default any more: the daemon always sends one
        var noId = assertThrows(DaemonRows.DaemonRowsException.class,
                () -> rows.execute("INSERT INTO plugins (plugin_id) VALUES ('x/y')"));
        assertEquals("23502", noId.sqlState());
    }

    @Test
    void legacyAppliesWithUuidOsspDefaultsAndLetsDuplicatesIn() throws Exception {
        TestDatabase db = fresh(SchemaFixture.LEGACY);
        assertEquals(new TreeSet<>(SchemaFixture.LEGACY.tables()), tables(db));
        assertEquals(1, countWhere(db, "SELECT count(*) FROM pg_extension WHERE extname = 'uuid-ossp'"));
        Set<String> indexes = indexes(db);
        assertTrue(indexes.contains("idx_plugins_plugin_unique_identifier"));
        assertTrue(!indexes.contains("idx_plugin_unique_identifier"));
        assertTrue(!indexes.contains("idx_tenant_plugin"));
        for (String t : List.of("plugins", "serverless_runtimes", "tool_installations", "ai_model_installations",
                "agent_strategy_installations")) {
            assertTrue(columns(db, t).contains("declaration:text"), t);
        }
        assertTrue(columns(db, "plugin_readmes").contains("tenant_id:uuid"));
        assertTrue(columns(db, "plugins").contains("plugin_unique_identifier:character varying(127)"));

        DaemonRows rows = DaemonRows.on(db);
        UUID tenant = UUID.randomUUID();
        rows.insertInstallation(tenant, "langgenius/openai", Uids.OPENAI, "local", "marketplace");
        rows.insertInstallation(tenant, "langgenius/openai", Uids.OPENAI, "local", "marketplace");
        rows.insertPlugin(Uids.OPENAI, "langgenius/openai", 1, "local", null);
        rows.insertPlugin(Uids.OPENAI, "langgenius/openai", 1, "local", null);
        assertEquals(2, rows.count("plugin_installations"));
        assertEquals(2, rows.count("plugins"));

        // rows written by an old daemon got their id from uuid_generate_v4()
        rows.execute("INSERT INTO plugin_declarations (plugin_unique_identifier, plugin_id, declaration) VALUES (?, ?, ?)",
                Uids.TONGYI, "langgenius/tongyi", "{}");
        assertEquals(4, rows.queryLong("SELECT get_byte(uuid_send(id), 6) >> 4 FROM plugin_declarations WHERE plugin_id = ?",
                "langgenius/tongyi"));

        // tables that came later are absent, and say so with undefined_table
        var missing = assertThrows(DaemonRows.DaemonRowsException.class,
                () -> rows.insertCategoryRow("trigger_installations", tenant, "p", Uids.OPENAI, "langgenius/openai"));
        assertEquals("42P01", missing.sqlState());
    }

    @Test
    void fixturesApplyOnlyOnce() {
        TestDatabase db = fresh(SchemaFixture.CURRENT);
        assertThrows(IllegalStateException.class, () -> SchemaFixture.CURRENT.applyTo(db));
    }

    static Set<String> tables(TestDatabase db) throws Exception {
        Set<String> out = new TreeSet<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static Set<String> indexes(TestDatabase db) throws Exception {
        Set<String> out = new TreeSet<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    static List<String> columns(TestDatabase db, String table) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod)"
                        + " FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    static long countWhere(TestDatabase db, String sql) {
        return DaemonRows.on(db).queryLong(sql);
    }
}
