package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.Await;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.PausedStep;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One actor between the packaged service and the packaged one-shot commands on one database: while an armed
 * service replica leads, an armed {@code apply} refuses (exit 2, the leader named, nothing written) and an
 * unarmed one still shows its dry run; with the service stopped the same apply acts. The other way round, while
 * an {@code apply} holds the lock (paused inside an item's transaction), a service replica that starts follows
 * (metric 0, readiness data naming the command) and leads only once the command has ended.
 */
class OneActorIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aOneShotApplyRefusesWhileAnArmedServiceLeadsAndActsOnceItIsStopped(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            DifyDataset dataset = seed(db, tmp);
            DaemonRows daemon = DaemonRows.on(db);
            String plugin = dataset.localPlugin(1).pluginRowId().toString();
            daemon.execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
            Map<String, List<String>> drifted = TableDump.daemon(db);
            Map<String, String> command = env(db, tmp, "refers_too_low");
            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(command, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            Map<String, String> armed = EagerRemediation.armed(command);

            // Armed for another kind, so the drift stays for the command; it leads all the same.
            Map<String, String> serviceEnv = env(db, tmp, "endpoint_orphaned");
            serviceEnv.put("RECONCILER_REMEDIATION_DRY_RUN", "false");
            try (RunningService service = RunningService.start(serviceEnv)) {
                Await.until("the service leads", Duration.ofSeconds(20), () -> "1.0".equals(service.metric("plugin_reconciler_leader")));
                PackagedApp.Outcome refused = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
                assertEquals(2, refused.exitCode(), refused.stdout() + refused.stderr());
                assertTrue(refused.stderr().contains("apply: refused: another reconciler is acting"), refused.stderr());
                assertTrue(refused.stderr().contains("(dify-plugin-reconciler leader "), "the holder is named: " + refused.stderr());
                assertEquals(drifted, TableDump.daemon(db), "the refused apply wrote nothing");
                assertEquals(0L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE outcome <> 'planned'"),
                        "only the plan's own audit rows");
                assertEquals(0L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows"));

                PackagedApp.Outcome dry = PackagedApp.run(command, "apply", "--plan", planFile.toString());
                assertEquals(0, dry.exitCode(), "a dry run takes no lock: " + dry.stdout() + dry.stderr());
                assertTrue(dry.stdout().contains("[DRY RUN] would update_row plugins/" + plugin), dry.stdout());
                assertEquals("1.0", service.metric("plugin_reconciler_leader"), "the service still leads");
                service.stop();
            }
            PackagedApp.Outcome applied = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(0, applied.exitCode(), applied.stdout() + applied.stderr());
            assertEquals(2L, daemon.queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin), "applied");
        }
    }

    @Test
    void aServiceReplicaDoesNotLeadWhileAOneShotApplyHoldsTheLock(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            seed(db, tmp);
            DaemonRows daemon = DaemonRows.on(db);
            String hook = "hook-" + UUID.randomUUID();
            daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
            Map<String, String> env = env(db, tmp, "endpoint_orphaned");
            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            env.put("RECONCILER_REMEDIATION_DRY_RUN", "false");

            PausedStep paused = new PausedStep(tmp.resolve("pause"), "quarantine_row:rechecked");
            Map<String, String> pausedEnv = new HashMap<>(env);
            pausedEnv.putAll(paused.environment());
            Path out = tmp.resolve("apply.out");
            Process apply = PackagedApp.builder(pausedEnv, List.of("-Xmx256m"), "apply", "--plan", planFile.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            try {
                paused.awaitReached(Duration.ofSeconds(30));
                try (RunningService service = RunningService.start(env)) {
                    Await.until("the replica following", Duration.ofSeconds(10),
                            () -> "following".equals(readiness(service).path("leaderElection").asText()));
                    Thread.sleep(1_500); // and one more try (retry interval 1 s)
                    assertEquals("0.0", service.metric("plugin_reconciler_leader"), service.log());
                    JsonNode ready = readiness(service);
                    assertEquals("following", ready.get("leaderElection").asText(), ready.toString());
                    assertTrue(ready.get("leaderHolder").asText().contains("(dify-plugin-reconciler apply "), ready.toString());
                    assertTrue(paused.isReached(), "the command still holds the lock, mid-apply");

                    paused.resume();
                    assertTrue(apply.waitFor(30, TimeUnit.SECONDS), "the apply ended");
                    assertEquals(0, apply.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
                    Await.until("the service leads once the command ended", Duration.ofSeconds(10),
                            () -> "1.0".equals(service.metric("plugin_reconciler_leader")));
                    assertFalse(service.log().contains("applied quarantine_row"), "the command applied it, not the service");
                }
            } finally {
                apply.destroyForcibly();
            }
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM endpoints WHERE hook_id = ?", hook));
            assertEquals(1L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE outcome = 'applied'"),
                    "applied once");
        }
    }

    private static DifyDataset seed(TestDatabase db, Path tmp) {
        return new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new LocalObjectWriter(tmp.resolve("storage")),
                StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
    }

    /** The daemon's owner (state persisted), scans every 2 s, a lost or free lock tried every second; not armed. */
    private static Map<String, String> env(TestDatabase db, Path tmp, String kinds) {
        Map<String, String> env = db.ownerEnvironment(tmp.resolve("storage"));
        env.put("RECONCILER_INTERVAL", "2s");
        env.put("RECONCILER_FIRST_SCAN_DELAY", "1s");
        env.put("RECONCILER_LEADER_RETRY_INTERVAL", "1s");
        env.put("RECONCILER_REMEDIATION_KINDS", kinds);
        EagerRemediation.on(env);
        return env;
    }

    /** The leadership data of the readiness check. */
    private static JsonNode readiness(RunningService s) throws Exception {
        return JSON.readTree(s.get("/q/health/ready").body()).get("checks").get(0).get("data");
    }
}
