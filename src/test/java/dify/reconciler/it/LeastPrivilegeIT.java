package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Armed mode with exactly the grants docs/deploying.md "Least privilege per mode" lists, and nothing more: a role that
 * may SELECT the daemon's tables, change only the columns and tables the remedies change, owns our schema,
 * and is no superuser and not the daemon's owner. Every row remedy is planted, planned, applied and restored
 * through the packaged commands as that role; a missing grant would fail an action (exit 1) or the restore.
 */
public class LeastPrivilegeIT {

    public static final String ROLE = "plugin_reconciler_rw";
    public static final String PASSWORD = "rw-role-pw-for-tests";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The documented armed-mode grants (docs/deploying.md), statement for statement (the role and schema created first). */
    public static final List<String> README_GRANTS = List.of(
            "GRANT USAGE ON SCHEMA public TO " + ROLE,
            "GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + ROLE,
            "GRANT UPDATE (refers) ON plugins TO " + ROLE,
            "GRANT UPDATE (size) ON tenant_storages TO " + ROLE,
            "GRANT INSERT, DELETE ON plugins, plugin_declarations, plugin_installations, serverless_runtimes,"
                    + " tool_installations, ai_model_installations, agent_strategy_installations, datasource_installations,"
                    + " trigger_installations, endpoints TO " + ROLE,
            "GRANT UPDATE (updated_at) ON plugin_declarations, plugin_installations, serverless_runtimes, tool_installations,"
                    + " ai_model_installations, agent_strategy_installations, datasource_installations, trigger_installations,"
                    + " endpoints TO " + ROLE);

    @Test
    void everyRowRemedyAppliesAndRestoresWithExactlyTheReadmeGrants(@TempDir Path root, @TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new LocalObjectWriter(root),
                    StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(2)));
            try (Connection su = db.server().connectTo(db.name()); Statement st = su.createStatement()) {
                st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + ROLE + "') THEN CREATE ROLE "
                        + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'; END IF; END $$");
                st.execute("GRANT CONNECT ON DATABASE \"" + db.name() + "\" TO " + ROLE);
                st.execute("CREATE SCHEMA plugin_reconciler AUTHORIZATION " + ROLE);
            }
            try (Connection owner = db.connect(); Statement st = owner.createStatement()) {
                for (String grant : README_GRANTS) {
                    st.execute(grant);
                }
            }
            DaemonRows daemon = DaemonRows.on(db);
            Map<String, List<String>> original = TableDump.daemon(db);
            plant(daemon);
            Map<String, List<String>> planted = TableDump.daemon(db);

            Map<String, String> env = db.ownerEnvironment(root);
            env.put("DB_USERNAME", ROLE);
            env.put("DB_PASSWORD", PASSWORD);
            EagerRemediation.on(env);
            env.put("RECONCILER_REMEDIATION_KINDS", "refers_too_low,category_row_orphaned,endpoint_orphaned,invalid_identifier_row,"
                    + "tenant_storage_drift,installation_declaration_missing,plugin_unreferenced");
            env.put("RECONCILER_REMEDIATION_DRY_RUN", "false");

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            JsonNode actions = JSON.readTree(planFile.toFile()).get("actions");
            List<String> kinds = StreamSupport.stream(actions.spliterator(), false).map(a -> a.get("kind").asText())
                    .sorted().collect(Collectors.toList());
            assertEquals(List.of("category_row_orphaned", "endpoint_orphaned", "installation_declaration_missing",
                    "invalid_identifier_row", "plugin_unreferenced", "refers_too_low", "tenant_storage_drift"), kinds,
                    planFile.toString());

            PackagedApp.Outcome apply = PackagedApp.run(env, "apply", "--plan", planFile.toString());
            assertEquals(0, apply.exitCode(), apply.stdout() + apply.stderr());
            assertTrue(apply.stdout().contains("applied 7, skipped_changed 0, failed 0"), apply.stdout());

            PackagedApp.Outcome restore = PackagedApp.run(env, "restore", "--all");
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertEquals(planted, TableDump.daemon(db), "restored as the least-privileged role, exactly");
            assertTrue(!original.equals(planted), "the drift was planted");
        }
    }

    /** One drift per row remedy, on the seeded dataset. */
    private static void plant(DaemonRows daemon) {
        String plugin1 = text(daemon, "SELECT plugin_unique_identifier FROM plugins WHERE plugin_id = 'langgenius/plugin1'");
        daemon.execute("UPDATE plugins SET refers = 0 WHERE plugin_unique_identifier = ?", plugin1);
        daemon.insertCategoryRow("tool_installations", UUID.randomUUID(), "plugin1", plugin1, "langgenius/plugin1");
        daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-" + UUID.randomUUID(), "default");
        daemon.insertDeclaration("not an identifier", "acme/broken", "{\"name\":\"broken\"}");
        daemon.execute("UPDATE tenant_storages SET size = 5");
        String ghost = DifyDataset.fakeUid("ghost", 1);
        UUID tenant = UUID.randomUUID();
        daemon.insertPlugin(ghost, "langgenius/ghost", 1, "local", null);
        daemon.insertInstallation(tenant, "langgenius/ghost", ghost, "local", "marketplace");
        daemon.insertCategoryRow("tool_installations", tenant, "ghost", ghost, "langgenius/ghost");
        String lambda = DifyDataset.fakeUid("lambda", 3);
        daemon.insertDeclaration(lambda, "langgenius/lambda", "{\"name\":\"lambda\"}");
        daemon.insertPlugin(lambda, "langgenius/lambda", 0, "serverless", null);
        daemon.insertServerlessRuntime(lambda, "https://functions.example/lambda", "lambda-fn", "aws_lambda", "c0ffee");
    }

    private static String text(DaemonRows daemon, String sql) {
        try (Connection c = daemon.dataSource().getConnection(); Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
