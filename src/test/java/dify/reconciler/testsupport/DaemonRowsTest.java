package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DaemonRowsTest {

    @ParameterizedTest
    @EnumSource(SchemaFixture.class)
    void insertsEveryKindOfRowAndAgesThem(SchemaFixture fixture) throws Exception {
        try (TestDatabase db = fixture.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            DaemonRows rows = DaemonRows.on(db);
            UUID tenant = UUID.randomUUID();
            Instant old = Instant.parse("2025-01-02T03:04:05.123456Z");

            UUID plugin = rows.insertPlugin(Uids.OPENAI, "langgenius/openai", 1, "local", null);
            UUID remote = rows.insertPlugin("someone/debug:0.0.1@0123456789abcdef0123456789abcdef", "someone/debug", 1, "remote",
                    "{\"version\":\"0.0.1\",\"label\":{\"en_US\":\"débug\\ttab\"}}", old);
            rows.insertDeclaration(Uids.OPENAI, "langgenius/openai", "{\"icon\":\"abc.svg\"}");
            UUID inst = rows.insertInstallation(tenant, "langgenius/openai", Uids.OPENAI, "local", "marketplace");
            UUID cat = rows.insertCategoryRow("ai_model_installations", tenant, "openai", Uids.OPENAI, "langgenius/openai");
            rows.insertCategoryRow("tool_installations", tenant, "github", Uids.GITHUB, "langgenius/github", old);
            rows.insertEndpoint(tenant.toString(), "langgenius/github", "hook-1", "default");
            rows.insertServerlessRuntime(Uids.BEDROCK, "https://fn.example/bedrock", "bedrock-fn", "serverless", "4484b409");
            UUID task = rows.at(old).insertInstallTask("running", tenant, 3, 1);
            rows.insertTenantStorage(tenant.toString(), "langgenius/openai", 1234);

            assertEquals(2, rows.count("plugins"));
            assertEquals(1, rows.count("plugin_declarations"));
            assertEquals(1, rows.count("plugin_installations"));
            assertEquals(1, rows.count("ai_model_installations"));
            assertEquals(1, rows.count("tool_installations"));
            assertEquals(1, rows.count("endpoints"));
            assertEquals(1, rows.count("serverless_runtimes"));
            assertEquals(1, rows.count("install_tasks"));
            assertEquals(1, rows.count("tenant_storages"));

            // ids are UUIDv7 and the rows carry them
            for (UUID id : List.of(plugin, remote, inst, cat, task)) {
                assertEquals(7, id.version());
                assertEquals(2, id.variant());
            }
            assertEquals(1, rows.queryLong("SELECT count(*) FROM plugin_installations WHERE id = ? AND tenant_id = ?", inst, tenant));

            // default timestamps are "now"; explicit ones are kept to the microsecond
            Instant now = Instant.now();
            Instant created = createdAt(db, "plugins", plugin);
            assertTrue(Math.abs(ChronoUnit.SECONDS.between(created, now)) < 60, created + " vs " + now);
            assertEquals(old, createdAt(db, "plugins", remote));
            assertEquals(old, createdAt(db, "install_tasks", task));
            assertEquals("{\"version\":\"0.0.1\",\"label\":{\"en_US\":\"débug\\ttab\"}}",
                    string(db, "SELECT remote_declaration FROM plugins WHERE id = ?", remote));
            assertNull(string(db, "SELECT remote_declaration FROM plugins WHERE id = ?", plugin));
            assertEquals("default", string(db, "SELECT name FROM endpoints WHERE hook_id = ?", "hook-1"));
            assertEquals(tenant.toString(), string(db, "SELECT tenant_id FROM endpoints WHERE hook_id = ?", "hook-1"));

            // ageing an existing row
            Instant older = Instant.parse("2024-06-01T00:00:00Z");
            rows.age("plugin_installations", inst, older);
            assertEquals(older, createdAt(db, "plugin_installations", inst));
            assertEquals(1, rows.queryLong("SELECT count(*) FROM plugin_installations WHERE updated_at < ?",
                    Instant.parse("2025-01-01T00:00:00Z")));
            assertThrows(IllegalStateException.class, () -> rows.age("plugins", UUID.randomUUID(), older));

            assertThrows(IllegalArgumentException.class,
                    () -> rows.insertCategoryRow("plugins", tenant, "x", Uids.OPENAI, "langgenius/openai"));
            assertThrows(IllegalArgumentException.class, () -> rows.count("plugins; DROP TABLE plugins"));
        }
    }

    @ParameterizedTest
    @EnumSource(SchemaFixture.class)
    void copyStreamsGeneratedRows(SchemaFixture fixture) {
        try (TestDatabase db = fixture.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            DaemonRows rows = DaemonRows.on(db);
            int n = 5_000;
            List<String> providers = List.of("openai", "tongyi", "bedrock");
            long copied = rows.copyInstallations(n, i -> new DaemonRows.InstallationRow(
                    tenant(i / 3), "langgenius/" + providers.get((int) (i % 3)), Uids.OPENAI, "local", i % 2 == 0 ? "marketplace" : null));
            assertEquals(n, copied);
            assertEquals(n, rows.count("plugin_installations"));
            assertEquals(n / 2, rows.queryLong("SELECT count(*) FROM plugin_installations WHERE source IS NULL"));
            assertEquals(n,
                    rows.queryLong("SELECT count(DISTINCT id) FROM plugin_installations WHERE meta = '{}' AND endpoints_setups = 0"));

            Instant old = Instant.parse("2025-03-04T05:06:07Z");
            long cats = rows.at(old).copyCategoryRows("tool_installations", n, i -> new DaemonRows.CategoryRow(
                    tenant(i / 3), "prov\twith\\odd\nchars é", Uids.OPENAI, "langgenius/" + providers.get((int) (i % 3))));
            assertEquals(n, cats);
            assertEquals(n, rows.queryLong("SELECT count(*) FROM tool_installations WHERE provider = ? AND created_at = ?",
                    "prov\twith\\odd\nchars é", old));

            if (fixture == SchemaFixture.CURRENT) {
                // the unique (tenant_id, plugin_id) index also guards the COPY path
                var dup = assertThrows(DaemonRows.DaemonRowsException.class, () -> rows.copyInstallations(1,
                        i -> new DaemonRows.InstallationRow(tenant(0), "langgenius/openai", Uids.OPENAI, "local", "marketplace")));
                assertEquals("23505", dup.sqlState());
                assertEquals(n, rows.count("plugin_installations"));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void deferredIndexesComeBackWithTheSameDefinitions() {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            DaemonRows rows = DaemonRows.on(db);
            String defs = "SELECT count(*) FROM pg_indexes WHERE tablename = ? AND indexdef LIKE ?";
            rows.withIndexesDeferred("plugin_installations", () -> {
                assertEquals(1, rows.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'plugin_installations'"));
                rows.copyInstallations(100, i -> new DaemonRows.InstallationRow(tenant(i), "a/b", Uids.OPENAI, "local", "github"));
            });
            assertEquals(5, rows.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'plugin_installations'"));
            assertEquals(1, rows.queryLong(defs, "plugin_installations",
                    "CREATE UNIQUE INDEX idx_tenant_plugin ON public.plugin_installations USING btree (tenant_id, plugin_id)"));
            var dup = assertThrows(DaemonRows.DaemonRowsException.class,
                    () -> rows.insertInstallation(tenant(7), "a/b", Uids.OPENAI, "local", "github"));
            assertEquals("23505", dup.sqlState());
            // constraint-backed unique indexes are left alone
            rows.withIndexesDeferred("plugin_declarations", () -> assertEquals(2,
                    rows.queryLong("SELECT count(*) FROM pg_indexes WHERE tablename = 'plugin_declarations'")));
        }
    }

    static UUID tenant(long i) {
        return new UUID(0x0000_0000_0000_4000L, 0x8000_0000_0000_0000L | i);
    }

    static Instant createdAt(TestDatabase db, String table, UUID id) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT created_at FROM " + table + " WHERE id = ?")) {
            ps.setObject(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getObject(1, OffsetDateTime.class).toInstant();
            }
        }
    }

    static String string(TestDatabase db, String sql, Object param) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
                return rs.getString(1);
            }
        }
    }
}
