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
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packaged services on one database, as replicas of a Deployment. Armed, the leader applies a planted
 * {@code refers_too_low} once it is confirmed, and the second replica applies nothing (the audit shows the action
 * applied once); the follower refuses restores. Unarmed, the service plans after each scan and {@code GET
 * /api/v1/plan} shows the dry run, and nothing changes. The API token never appears in the output.
 */
class ServiceRemediationIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration INTERVAL = Duration.ofSeconds(2);

    @Test
    void theArmedLeaderAppliesOnceAndTheOtherReplicaNothing(@TempDir Path tmp) throws Exception {
        String token = "it-token-" + UUID.randomUUID();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Planted planted = plant(db, tmp);
            Map<String, String> env = env(db, tmp, token);
            env.put("RECONCILER_REMEDIATION_DRY_RUN", "false");
            env.put("RECONCILER_REMEDIATION_CONFIRMATIONS", "2");
            try (RunningService a = RunningService.start(env); RunningService b = RunningService.start(env)) {
                DaemonRows daemon = DaemonRows.on(db);
                Await.until("refers repaired", Duration.ofSeconds(60),
                        () -> daemon.queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", planted.pluginRow()) == 2L);
                Thread.sleep(INTERVAL.multipliedBy(3).toMillis()); // both go on scanning and planning
                assertEquals(planted.original(), TableDump.daemon(db), "repaired to what it was before the drift");

                assertEquals(1L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE row_id = ?"
                        + " AND outcome = 'applied'", planted.pluginRow()), "applied once");
                assertEquals(1L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE row_id = ?"
                        + " AND outcome = 'planned'", planted.pluginRow()), "planned (and audited) once, by the leader");
                RunningService leader = "1.0".equals(a.metric("plugin_reconciler_leader")) ? a : b;
                RunningService follower = leader == a ? b : a;
                assertEquals("0.0", follower.metric("plugin_reconciler_leader"));
                assertTrue(leader.log().contains("applied update_row on plugins/" + planted.pluginRow()), leader.log());
                assertFalse(follower.log().contains("applied update_row"), follower.log());
                JsonNode followerPlan = JSON.readTree(follower.get("/api/v1/plan").body());
                assertFalse(followerPlan.get("leader").asBoolean(), followerPlan.toString());
                assertFalse(followerPlan.get("applied").asBoolean(), followerPlan.toString());
                assertEquals("1.0", leader.metric("plugin_reconciler_quarantine_items{store=\"rows\"}"));

                String run = appliedRun(db);
                HttpResponse<String> refused = follower.post("/api/v1/restore?run=" + run);
                assertEquals(409, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("not the leader"), refused.body());
                assertEquals(401, leader.post("/api/v1/restore?run=" + run, "not-" + token).statusCode());
                assertEquals(401, leader.post("/api/v1/restore?run=" + run, null).statusCode());
                assertEquals(planted.original(), TableDump.daemon(db), "refused restores changed nothing");
                assertFalse(a.log().contains(token), "the token is never logged");
                assertFalse(b.log().contains(token), "the token is never logged");
            }
            // The one-shot commands on what the service applied (their own processes, outside the election).
            String run = appliedRun(db);
            PackagedApp.Outcome list = PackagedApp.run(env, "quarantine", "list", "--format", "json");
            assertEquals(0, list.exitCode(), list.stdout() + list.stderr());
            assertEquals(planted.pluginRow(), JSON.readTree(list.stdout()).get("items").get(0).get("rowId").asText(), list.stdout());
            PackagedApp.Outcome purge = PackagedApp.run(env, "purge");
            assertEquals(0, purge.exitCode(), purge.stdout() + purge.stderr());
            assertTrue(purge.stdout().contains("Purged 0 quarantined rows"), "nothing is past the retention: " + purge.stdout());
            PackagedApp.Outcome restore = PackagedApp.run(env, "restore", "--run", run);
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertTrue(restore.stdout().contains("Restored 1 of 1"), restore.stdout());
            assertEquals(planted.drifted(), TableDump.daemon(db), "restore --run put the drifted refers back");
            assertFalse(list.stderr().contains(token) || purge.stderr().contains(token) || restore.stderr().contains(token));
        }
    }

    @Test
    void anUnarmedServicePlansAfterEachScanAndChangesNothing(@TempDir Path tmp) throws Exception {
        String token = "it-token-" + UUID.randomUUID();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Planted planted = plant(db, tmp);
            Map<String, List<String>> drifted = TableDump.daemon(db);
            try (RunningService service = RunningService.start(env(db, tmp, token))) {
                JsonNode[] plan = new JsonNode[1];
                Await.until("a plan", Duration.ofSeconds(60), () -> {
                    HttpResponse<String> r = service.get("/api/v1/plan");
                    plan[0] = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
                    return plan[0] != null;
                });
                assertFalse(plan[0].get("armed").asBoolean(), plan[0].toString());
                assertFalse(plan[0].get("applied").asBoolean(), plan[0].toString());
                assertFalse(plan[0].get("plan").has("dryRun"), "the mode is the service's (armed above), not the plan's: " + plan[0]);
                JsonNode actions = plan[0].get("plan").get("actions");
                assertEquals(1, actions.size(), plan[0].toString());
                assertEquals("refers_too_low", actions.get(0).get("kind").asText());
                assertEquals(planted.pluginRow(), actions.get(0).get("rowId").asText());

                assertEquals(401, service.post("/api/v1/runs", null).statusCode(), "a token is configured: needed");
                HttpResponse<String> run = service.post("/api/v1/runs");
                assertTrue(run.statusCode() == 200 || run.statusCode() == 409, run.body());
                assertEquals(drifted, TableDump.daemon(db), "an unarmed service changes nothing");
                assertEquals(0L, DaemonRows.on(db).queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions"));
                assertFalse(service.log().contains(token), "the token is never logged");
            }
        }
    }

    private record Planted(String pluginRow, Map<String, List<String>> original, Map<String, List<String>> drifted) {
    }

    /** A clean dataset whose second local plugin's refers is 1 below its installations. */
    private static Planted plant(TestDatabase db, Path tmp) throws Exception {
        DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db),
                new LocalObjectWriter(tmp.resolve("storage")), StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
        Map<String, List<String>> original = TableDump.daemon(db);
        String row = dataset.localPlugin(1).pluginRowId().toString();
        DaemonRows.on(db).execute("UPDATE plugins SET refers = 1 WHERE id = ?", dataset.localPlugin(1).pluginRowId());
        return new Planted(row, original, TableDump.daemon(db));
    }

    private static Map<String, String> env(TestDatabase db, Path tmp, String token) {
        Map<String, String> env = db.ownerEnvironment(tmp.resolve("storage"));
        env.put("RECONCILER_INTERVAL", INTERVAL.toSeconds() + "s");
        env.put("RECONCILER_FIRST_SCAN_DELAY", "1s");
        env.put("RECONCILER_LEADER_RETRY_INTERVAL", "1s");
        env.put("RECONCILER_REMEDIATION_KINDS", "refers_too_low");
        env.put("RECONCILER_REMEDIATION_CONFIRMATIONS", "1");
        env.put("RECONCILER_REMEDIATION_MIN_AGE", "0s");
        env.put("RECONCILER_REMEDIATION_MAX_SHARE", "1");
        env.put("RECONCILER_API_TOKEN", token);
        return env;
    }

    private static String appliedRun(TestDatabase db) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT run_id FROM plugin_reconciler.remediation_actions"
                        + " WHERE outcome = 'applied'");
                ResultSet rs = ps.executeQuery()) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }
}
