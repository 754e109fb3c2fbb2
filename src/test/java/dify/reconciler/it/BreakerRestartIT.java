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
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
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
 * The breaker stays tripped across restarts: the packaged jar, a new process for every step. A plan that hits
 * {@code max-actions-per-run} trips it; later plans (with a cap that would allow everything) act on nothing, a
 * service started afterwards exports {@code plugin_reconciler_breaker_tripped 1}, {@code breaker status} shows
 * it; after {@code breaker ack --reason} the next plan acts again.
 */
class BreakerRestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aCapTripStaysUntilAcknowledged(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Path root = tmp.resolve("storage");
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new LocalObjectWriter(root), StorageLayout.DEFAULT,
                    Instant.now().minus(Duration.ofDays(1)));
            DaemonRows daemon = DaemonRows.on(db);
            for (int i = 0; i < 3; i++) {
                daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-" + i, "default");
            }
            Map<String, List<String>> planted = TableDump.daemon(db);
            Map<String, String> env = new HashMap<>(db.ownerEnvironment(root));
            EagerRemediation.on(env);
            env.put("RECONCILER_REMEDIATION_KINDS", "endpoint_orphaned");
            Map<String, String> maxTwo = new HashMap<>(env);
            maxTwo.put("RECONCILER_REMEDIATION_MAX_ACTIONS_PER_RUN", "2");

            JsonNode capped = plan(maxTwo, tmp.resolve("capped.json"), 0);
            assertEquals("cap", capped.at("/guards/0/guard").asText(), capped.toString());
            assertEquals(0, capped.get("actions").size());

            // A new process with a cap that allows all three: the breaker, read from our schema, stops it.
            JsonNode stopped = plan(env, tmp.resolve("stopped.json"), 0);
            assertEquals("breaker", stopped.at("/guards/0/guard").asText(), stopped.toString());
            assertEquals(1, stopped.get("guards").size(), "the breaker's plan is not a new cap trip: " + stopped.get("guards"));
            assertTrue(stopped.get("withheld").toString().contains("\"reason\":\"guard\""), stopped.toString());

            // A service started now exports the breaker as tripped (read from state at start-up).
            Map<String, String> service = new HashMap<>(env);
            service.put("RECONCILER_INTERVAL", "off");
            try (RunningService s = RunningService.start(service)) {
                String metrics = "";
                Instant deadline = Instant.now().plusSeconds(30);
                while (Instant.now().isBefore(deadline) && !metrics.contains("plugin_reconciler_breaker_tripped 1.0")) {
                    Thread.sleep(200);
                    metrics = s.get("/q/metrics").body();
                }
                assertTrue(metrics.contains("plugin_reconciler_breaker_tripped 1.0"), metrics);
                assertTrue(metrics.contains("plugin_reconciler_guard_trips_total{guard=\"cap\"} 0.0"),
                        "every guard exported from start-up");
            }

            PackagedApp.Outcome status = PackagedApp.run(env, "breaker", "status");
            assertEquals(0, status.exitCode(), status.stdout() + status.stderr());
            assertTrue(status.stdout().startsWith("Breaker: TRIPPED (state persisted)"), status.stdout());
            assertTrue(status.stdout().contains(" cap (plan " + capped.get("planId").asText()), status.stdout());

            PackagedApp.Outcome noReason = PackagedApp.run(env, "breaker", "ack");
            assertEquals(2, noReason.exitCode(), noReason.stdout() + noReason.stderr());
            PackagedApp.Outcome ack = PackagedApp.run(env, "breaker", "ack", "--reason", "three orphaned test endpoints");
            assertEquals(0, ack.exitCode(), ack.stdout() + ack.stderr());
            assertTrue(ack.stdout().contains("acknowledged 1 trip(s)"), ack.stdout());

            JsonNode acting = plan(env, tmp.resolve("acting.json"), 1);
            assertEquals(0, acting.get("guards").size(), acting.toString());
            assertEquals(3, acting.get("actions").size(), acting.toString());
            assertEquals(planted, TableDump.daemon(db), "planning and the breaker changed none of the daemon's tables");
        }
    }

    private static JsonNode plan(Map<String, String> env, Path file, int exit) throws Exception {
        PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", file.toString());
        assertEquals(exit, plan.exitCode(), plan.stdout() + plan.stderr());
        return JSON.readTree(file.toFile());
    }
}
