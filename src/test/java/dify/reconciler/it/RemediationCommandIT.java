package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar, as an operator runs it: {@code plan} writes a plan and changes nothing; {@code apply}
 * unarmed only shows it; armed ({@code RECONCILER_REMEDIATION_DRY_RUN=false}) it repairs refers and
 * quarantines an orphaned endpoint, and the next scan no longer finds them; {@code restore --all} brings every
 * table back to what it was, column for column. Armed with credentials that keep state in memory, apply refuses.
 */
class RemediationCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void planApplyRestoreRoundTripThroughThePackagedCommands(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Path root = tmp.resolve("storage");
            LocalObjectWriter objects = new LocalObjectWriter(root);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db),
                    objects, StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
            // An object finding (report-only in this version) beside the two row drifts.
            Files.delete(objects.resolve(dataset.localPlugin(0).pkg().key(StorageLayout.DEFAULT.packages())));
            DaemonRows daemon = DaemonRows.on(db);
            daemon.execute("UPDATE plugins SET refers = 1 WHERE id = ?", dataset.localPlugin(1).pluginRowId());
            daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-orphan", "default");
            Map<String, List<String>> planted = TableDump.daemon(db);

            Map<String, String> env = new HashMap<>();
            env.put("DB_HOST", db.host());
            env.put("DB_PORT", Integer.toString(db.port()));
            env.put("DB_USERNAME", EmbeddedPostgres.DAEMON_USER); // may write, and may create our schema
            env.put("DB_PASSWORD", EmbeddedPostgres.DAEMON_PASSWORD);
            env.put("DB_DATABASE", db.name());
            env.put("PLUGIN_STORAGE_TYPE", "local");
            env.put("PLUGIN_STORAGE_LOCAL_ROOT", root.toString());
            EagerRemediation.on(env);
            env.put("RECONCILER_REMEDIATION_KINDS", "refers_too_low,endpoint_orphaned");

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            assertEquals(planted, TableDump.daemon(db), "plan changes nothing");
            JsonNode doc = JSON.readTree(planFile.toFile());
            assertFalse(doc.has("dryRun"), "a plan carries no mode: " + doc);
            assertTrue(plan.stdout().contains("Mode: dry run here"), "the text shows this process's mode: " + plan.stdout());
            assertTrue(doc.get("database").asText().startsWith("postgresql://" + db.host() + ":" + db.port() + "/" + db.name() + " with "),
                    doc.get("database").asText());
            assertEquals(2, doc.get("actions").size(), doc.toString());
            assertEquals(List.of("endpoint_orphaned/quarantine_row/endpoints", "refers_too_low/update_row/plugins"),
                    JSON.convertValue(doc.get("actions"), new TypeReference<List<Map<String, Object>>>() {
                    }).stream()
                            .map(a -> ((Map<?, ?>) a).get("kind") + "/" + ((Map<?, ?>) a).get("action") + "/"
                                    + ((Map<?, ?>) a).get("table"))
                            .sorted().toList());
            assertTrue(doc.get("withheld").toString().contains("\"reason\":\"not_allowed\""), "package_missing is not listed: "
                    + doc.get("withheld"));

            PackagedApp.Outcome dry = PackagedApp.run(env, "apply", "--plan", planFile.toString());
            assertEquals(0, dry.exitCode(), dry.stdout() + dry.stderr());
            assertTrue(dry.stdout().contains("[DRY RUN] would update_row plugins/" + dataset.localPlugin(1).pluginRowId()), dry.stdout());
            assertEquals(planted, TableDump.daemon(db), "an unarmed apply changes nothing");

            // The SELECT-only role (our schema exists already, made by the owner's plan): armed, apply refuses up front.
            Map<String, String> reader = new HashMap<>(env);
            reader.put("DB_USERNAME", db.username());
            reader.put("DB_PASSWORD", db.password());
            reader.put("RECONCILER_REMEDIATION_DRY_RUN", "false");
            PackagedApp.Outcome memory = PackagedApp.run(reader, "apply", "--plan", planFile.toString());
            assertEquals(2, memory.exitCode(), memory.stdout() + memory.stderr());
            assertTrue(memory.stderr().contains("needs persisted state it can write"), memory.stderr());
            assertEquals(planted, TableDump.daemon(db));

            Map<String, String> armed = EagerRemediation.armed(env);
            PackagedApp.Outcome apply = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(0, apply.exitCode(), apply.stdout() + apply.stderr());
            assertTrue(apply.stdout().contains("applied 2,"), apply.stdout());
            assertEquals(2L, daemon.queryLong("SELECT refers FROM plugins WHERE id = ?", dataset.localPlugin(1).pluginRowId()));
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM endpoints WHERE hook_id = 'hook-orphan'"));

            PackagedApp.Outcome scan = PackagedApp.run(env, "scan", "--format", "json");
            JsonNode report = JSON.readTree(scan.stdout());
            assertEquals(1, report.get("summary").get("total").asInt(), "only package_missing is left: " + report.get("findings"));
            assertFalse(report.get("findings").toString().contains("refers_too_low"));

            PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertTrue(restore.stdout().contains("Restored 2 of 2"), restore.stdout());
            assertEquals(planted, TableDump.daemon(db), "restore brings back every table exactly");
        }
    }
}
