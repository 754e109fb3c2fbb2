package dify.reconciler.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.actor.WriteFence;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.testsupport.CapturedCommand;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.Leadership;
import dify.reconciler.testsupport.PausedStep;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestApi;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The armed service as the leader: after each successful scan it plans, audits and applies; the plan, the audit
 * and the quarantine are served by the API; restores need the API token; {@code restore --run}, {@code purge} and
 * {@code quarantine list} work on what the service applied; a write transaction of an instance whose lock
 * session is gone is fenced. Every test leaves the daemon's tables as the dataset seeded them.
 */
@QuarkusTest
@TestProfile(ServiceRemediationTest.ArmedService.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class ServiceRemediationTest {

    /** Armed, one scan confirms, no minimum age or share cap; a lost lock is retaken within a second. */
    public static class ArmedService implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.remediation.dry-run", "false", "reconciler.remediation.confirmations", "1",
                    "reconciler.remediation.min-age", "0s", "reconciler.remediation.min-age-info", "0s",
                    "reconciler.remediation.max-share", "1", "reconciler.remediation.kinds", "refers_too_low,endpoint_orphaned",
                    "reconciler.leader.retry-interval", "1s",
                    // No scheduled scans or daily purge: the tests start both themselves.
                    "quarkus.scheduler.enabled", "false");
        }
    }

    @Inject
    LeaderElection election;

    @Inject
    RemediationCommand command;

    @Inject
    WriteFence fence;

    @BeforeEach
    void leading() throws InterruptedException {
        Leadership.await(election);
    }

    @Test
    void theLeaderAppliesAfterTheScanAndTheApiShowsAndRestoresItWithTheToken() throws Exception {
        String plugin = pluginRowId("langgenius/plugin1");
        Map<String, List<String>> original = TableDump.daemon(db());
        long count = daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        Map<String, List<String>> planted = TableDump.daemon(db());

        String runId = scan();
        assertEquals(count, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin), "applied after the scan");
        assertEquals(original, TableDump.daemon(db()));

        JsonPath plan = given().get("/api/v1/plan").then().statusCode(200).extract().jsonPath();
        assertTrue(plan.getBoolean("armed") && plan.getBoolean("leader") && plan.getBoolean("applied"), plan.prettify());
        assertEquals(runId, plan.getString("plan.runId"));
        assertEquals(List.of("refers_too_low"), plan.getList("plan.actions.kind"));
        assertEquals(List.of("applied"), plan.getList("results.outcome"));
        String actionId = plan.getString("plan.actions[0].id");

        JsonPath audit = given().queryParam("run", runId).queryParam("outcome", "applied").get("/api/v1/actions").then()
                .statusCode(200).extract().jsonPath();
        assertEquals(1, audit.getInt("total"), audit.prettify());
        assertEquals(actionId, audit.getString("actions[0].actionId"));
        assertEquals(1, audit.getInt("actions[0].before.refers"));
        assertEquals(count, audit.getLong("actions[0].after.refers"));
        given().queryParam("outcome", "nonsense").get("/api/v1/actions").then().statusCode(400)
                .body("error", containsString("not an outcome"));
        given().get("/api/v1/quarantine").then().statusCode(200).body("total", equalTo(1))
                .body("items[0].actionId", equalTo(actionId)).body("items[0].table", equalTo("plugins"));
        assertTrue(metrics().contains("plugin_reconciler_quarantine_items{store=\"rows\"} 1.0"), metrics());

        String restore = "/api/v1/actions/" + actionId + "/restore";
        given().post(restore).then().statusCode(401).body("error", containsString("Bearer"));
        given().header("Authorization", "Bearer wrong-token").post(restore).then().statusCode(401);
        given().header("Authorization", "Bearer").post(restore).then().statusCode(401);
        assertEquals(original, TableDump.daemon(db()), "refused requests changed nothing");
        TestApi.authorized().post(restore).then().statusCode(200).body("restored", equalTo(1))
                .body("results[0].outcome", equalTo("restored"));
        assertEquals(planted, TableDump.daemon(db()), "restored exactly");
        given().get("/api/v1/quarantine").then().statusCode(200).body("total", equalTo(0));
        TestApi.authorized().post(restore).then().statusCode(404);

        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", count, plugin);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void restoreRunUndoesEveryActionOfThatRunAndQuarantineListShowsThem() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String plugin = pluginRowId("langgenius/plugin2");
        long count = daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        Map<String, List<String>> planted = TableDump.daemon(db());

        String runId = scan();
        assertEquals(count, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin));
        assertEquals(0L, daemon().queryLong("SELECT count(*) FROM endpoints WHERE hook_id = ?", hook));

        Output list = run(() -> command.quarantine("list", "--format", "json"));
        assertEquals(0, list.exit(), list.text());
        List<String> actions = given().get("/api/v1/plan").then().extract().jsonPath().getList("plan.actions.id");
        assertEquals(2, actions.size());
        for (String a : actions) {
            assertTrue(list.text().contains("\"actionId\" : \"" + a + "\""), list.text());
        }
        Output text = run(() -> command.quarantine("list"));
        assertTrue(text.text().contains("Quarantined: 2 row(s) not restored"), text.text());
        assertEquals(2, run(() -> command.quarantine("list", "--format", "yaml")).exit());

        Output other = run(() -> command.restore("--run", UUID.randomUUID().toString()));
        assertTrue(other.text().contains("Restored 0 of 0"), other.text());
        assertEquals(2, run(() -> command.restore("--run", runId, "--all")).exit(), "one selection only");

        Output restore = run(() -> command.restore("--run", runId));
        assertEquals(0, restore.exit(), restore.text());
        assertTrue(restore.text().contains("Restored 2 of 2"), restore.text());
        assertEquals(planted, TableDump.daemon(db()));

        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", count, plugin);
        daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void purgeDeletesOnlyQuarantinedRowsPastTheRetention() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String plugin = pluginRowId("langgenius/plugin1");
        long count = daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        String oldRun = scan();
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        String newRun = scan();
        Map<String, List<String>> applied = TableDump.daemon(db());
        String old = appliedAction(oldRun);
        String recent = appliedAction(newRun);
        // The first action's copy is 31 days old now (retention: the default 30 days).
        daemon().execute("UPDATE plugin_reconciler.quarantine_rows SET quarantined_at = now() - interval '31 days'"
                + " WHERE action_id = ?", old);

        Output purge = run(() -> command.purge());
        assertEquals(0, purge.exit(), purge.text());
        assertTrue(purge.text().contains("Purged 1 quarantined rows"), purge.text());
        assertEquals(0L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE action_id = ?", old));
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE action_id = ?", recent));
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                + " AND outcome = 'purged'", old));
        assertEquals(applied, TableDump.daemon(db()), "purge touches no daemon table");
        given().get("/api/v1/actions?outcome=purged&kind=purge").then().statusCode(200).body("actions[0].actionId", equalTo(old));
        TestApi.authorized().post("/api/v1/actions/" + old + "/restore").then().statusCode(404);

        TestApi.authorized().post("/api/v1/restore?run=" + newRun).then().statusCode(200).body("restored", equalTo(1));
        daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        assertEquals(count, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin));
        assertEquals(original, TableDump.daemon(db()));
    }

    /**
     * Issue 17: inside the service, an apply after a scan, an API restore, a purge and a recovery never run at once.
     * The apply is paused with its row locked and re-checked; meanwhile the restore of an earlier run is answered 409
     * and purge and recover are refused (the gate's one permit), and nothing of theirs is written; once the apply
     * has ended, the same restore goes through.
     */
    @Test
    void anApplyInProgressRefusesARestoreAPurgeAndARecoveryUntilItEnds(@TempDir Path pauses) throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String first = pluginRowId("langgenius/plugin1");
        String second = pluginRowId("langgenius/plugin2");
        long firstCount = refers(first);
        long secondCount = refers(second);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", first);
        String firstRun = scan();
        assertEquals(firstCount, refers(first), "the first run applied");
        long quarantined = daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE restored_at IS NULL");

        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", second);
        PausedStep paused = new PausedStep(pauses, "update_row:rechecked");
        paused.setSystemProperties();
        CompletableFuture<String> secondScan;
        try {
            secondScan = CompletableFuture.supplyAsync(this::scan);
            paused.awaitReached(Duration.ofSeconds(60)); // the second row locked and re-checked, nothing committed

            TestApi.authorized().post("/api/v1/restore?run=" + firstRun).then().statusCode(409)
                    .body("error", containsString("restore refused: another remediation is running"));
            CapturedCommand purge = CapturedCommand.of(() -> command.purge());
            assertEquals(2, purge.exit(), purge.toString());
            assertTrue(purge.err().contains("purge: refused: another remediation is running"), purge.toString());
            CapturedCommand recover = CapturedCommand.of(() -> command.recover());
            assertEquals(2, recover.exit(), recover.toString());
            assertTrue(recover.err().contains("recover: refused: another remediation is running"), recover.toString());

            assertEquals(firstCount, refers(first), "the refused restore did not put the first run's row back");
            assertEquals(quarantined, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows"
                    + " WHERE restored_at IS NULL"), "nothing restored or purged while the apply acts");
            assertEquals(1L, refers(second), "the paused apply has not committed yet");
        } finally {
            PausedStep.clearSystemProperties();
            paused.resume();
        }
        String secondRun = secondScan.get(60, TimeUnit.SECONDS);
        assertEquals(secondCount, refers(second), "the apply went on after the pause");

        // The apply has ended: the permit is free, the same restore goes through.
        TestApi.authorized().post("/api/v1/restore?run=" + firstRun).then().statusCode(200).body("restored", equalTo(1));
        assertEquals(1L, refers(first), "restored exactly");
        TestApi.authorized().post("/api/v1/restore?run=" + secondRun).then().statusCode(200).body("restored", equalTo(1));
        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", firstCount, first);
        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", secondCount, second);
        assertEquals(original, TableDump.daemon(db()));
    }

    private static long refers(String pluginRow) throws SQLException {
        return daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow);
    }

    @Test
    void aWriteTransactionIsFencedOnceOurLockSessionIsGone() throws Exception {
        try (Connection c = db().connect()) {
            c.setAutoCommit(false);
            fence.check(c); // leading: passes
            c.rollback();
            // The wait form returns once the backend has exited: pg_terminate_backend(pid) alone only signals it, and
            // the fence could still see the lock held.
            try (Connection superuser = db().server().connectTo(db().name());
                    PreparedStatement kill = superuser.prepareStatement("SELECT count(*), count(*) FILTER (WHERE"
                            + " pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                            + " WHERE datname = ? AND application_name LIKE 'dify-plugin-reconciler leader%'")) {
                kill.setString(1, db().name());
                try (var rs = kill.executeQuery()) {
                    rs.next();
                    assertEquals(1, rs.getLong(1), "exactly one leader lock session");
                    assertEquals(1, rs.getLong(2), "the leader lock session was terminated and has exited");
                }
            }
            // Before the election notices (its next tick), the fence already refuses.
            SQLException fenced = assertThrows(SQLException.class, () -> fence.check(c));
            c.rollback();
            assertTrue(fenced.getMessage().contains("not written"), fenced.getMessage());
        }
        // Retaken within a tick or two, for the other tests: leading, and the fence passes again.
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!fencePasses()) {
            assertTrue(System.nanoTime() < deadline, "the lock was not retaken: " + election.status());
            Thread.sleep(100);
        }
    }

    private boolean fencePasses() throws SQLException {
        try (Connection c = db().connect()) {
            fence.check(c);
            return election.isLeader();
        } catch (SQLException notYet) {
            return false;
        }
    }

    private String scan() {
        return TestApi.authorized().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success")).extract()
                .path("runId");
    }

    private String appliedAction(String runId) {
        return given().queryParam("run", runId).queryParam("outcome", "applied").get("/api/v1/actions").then().statusCode(200)
                .body("total", equalTo(1)).extract().path("actions[0].actionId");
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private record Output(int exit, String text) {
    }

    /** Runs a command with its standard output captured. */
    private static synchronized Output run(Supplier<Integer> command) {
        PrintStream was = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = command.get();
            return new Output(exit, out.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(was);
        }
    }

    private static String pluginRowId(String pluginId) throws SQLException {
        try (Connection c = db().connect(); PreparedStatement ps = c.prepareStatement("SELECT id::text FROM plugins WHERE plugin_id = ?")) {
            ps.setString(1, pluginId);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), pluginId);
                String id = rs.getString(1);
                assertFalse(rs.next(), "one plugins row for " + pluginId);
                return id;
            }
        }
    }

    private static TestDatabase db() {
        return DriftedDaemonAccess.database();
    }

    private static DaemonRows daemon() {
        return DaemonRows.on(db());
    }
}
