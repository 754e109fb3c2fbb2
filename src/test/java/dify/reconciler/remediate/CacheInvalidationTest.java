package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static dify.reconciler.testsupport.DriftedFixture.uidOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.actor.ActorLock;
import dify.reconciler.cache.CacheInvalidation;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.observe.DriftedDaemon;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cache clearing against a real {@code redis-server} and the real database, as the daemon's keys would be: seed
 * the keys the daemon holds for the rows a remediation touches plus unrelated ones (other identifiers, similar
 * prefixes, lock, session and cluster keys, another prefix, another database), apply, and exactly the stale
 * keys are gone. Also the second delete (a reader that stored the old row again after the first) and Redis
 * down (the repair applies, the failure is counted and audited).
 */
@QuarkusTest
@TestProfile(SharedProfiles.Command.class)
@WithTestResource(value = DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class CacheInvalidationTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(true, FindingKind.REFERS_TOO_LOW, FindingKind.REFERS_DRIFT, FindingKind.CATEGORY_ROW_ORPHANED,
                FindingKind.ENDPOINT_ORPHANED, FindingKind.INVALID_IDENTIFIER_ROW);
    }

    /** The actions this class applied (every test adds its plan's). */
    private static final Set<String> APPLIED = ConcurrentHashMap.newKeySet();

    @AfterAll
    static void configuredKinds() throws SQLException {
        TestClassPolicy.configured();
        // Every @QuarkusTest class runs in one application (QuarkusApplicationTests): a row left in quarantine here is
        // found by a later class's restore --all, and put back into its daemon tables.
        if (!APPLIED.isEmpty()) {
            assertEquals(0L, pendingQuarantine(APPLIED), "rows of this class's actions still in quarantine: " + APPLIED);
        }
    }

    static final String P = "plugin_daemon:";
    static final String ENDPOINT = P + "auto_type:github.com/langgenius/dify-plugin-daemon/internal/types/models.Endpoint:hook_id:";
    static final String DECLARATION = P + "auto_type:github.com/langgenius/dify-plugin-daemon/pkg/entities/plugin_entities."
            + "PluginDeclaration:declaration_cache:";
    static final String INSTALLATION = P + "auto_type:github.com/langgenius/dify-plugin-daemon/internal/types/models."
            + "PluginInstallation:plugin_id:";
    static final String MODELS = P + "model_installations:tenant_id:";

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    CacheInvalidation cache;

    @Inject
    CommandLock actorLock;

    @Inject
    ObjectMapper mapper;

    @Test
    void exactlyTheKeysHoldingTheRepairedRowsAreDeletedAndEveryOtherKeyStays() throws Exception {
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        String badUid = "not an identifier:" + UUID.randomUUID(); // contains ':' like every identifier
        daemon().insertDeclaration(badUid, "acme/broken", "{\"name\":\"broken\"}");
        UUID modelTenant = UUID.randomUUID();
        String uid1 = uidOf("langgenius/plugin1");
        daemon().insertCategoryRow("ai_model_installations", modelTenant, "plugin1", uid1, "langgenius/plugin1");

        List<String> stale = List.of(ENDPOINT + hook, DECLARATION + "local:" + badUid, DECLARATION + "remote:" + badUid,
                DECLARATION + "serverless:" + badUid);
        String staleHash = MODELS + modelTenant;
        Map<String, String> unrelated = new LinkedHashMap<>();
        unrelated.put(ENDPOINT + hook + "x", "similar hook");
        unrelated.put(ENDPOINT + "hook-" + UUID.randomUUID(), "another endpoint");
        unrelated.put(DECLARATION + "local:not an identifier", "a prefix of the identifier");
        unrelated.put(DECLARATION + "local:" + uid1, "a healthy plugin's declaration");
        unrelated.put(INSTALLATION + "langgenius/plugin1:tenant_id:" + modelTenant, "the tenant's installation cache");
        unrelated.put(P + "env_init_lock:" + badUid, "lock");
        unrelated.put(P + "serverless_launch_lock_" + badUid, "lock");
        unrelated.put(P + "session_info:" + UUID.randomUUID(), "session");
        unrelated.put(P + "persistence:" + modelTenant + ":langgenius/plugin1:k", "plugin data");
        unrelated.put("plugin_daemon2:" + (ENDPOINT + hook).substring(P.length()), "another prefix");
        unrelated.put(P + "serverless:runtime:" + uid1, "a healthy serverless runtime");
        redis(DaemonRedis.DB, r -> {
            stale.forEach(k -> r.set(k, "old row"));
            r.hset(staleHash, "1:256", "old list");
            r.hset(MODELS + UUID.randomUUID(), "1:256", "another tenant's list");
            r.hset(P + "cluster:status", "node-1", "state");
            unrelated.forEach(r::set);
            return null;
        });
        redis(0, r -> r.set(ENDPOINT + hook, "the same key in another database"));
        Map<String, String> before = snapshot(DaemonRedis.DB);
        double deletedBefore = metric("deleted");
        double absentBefore = metric("absent");
        double failedBefore = metric("failed");

        Path file = Files.createTempFile("plan", ".json");
        List<String> applied = new ArrayList<>();
        try {
            assertEquals(1, command.plan("--output", file.toString()));
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            applied.addAll(ids(plan));
            assertEquals(java.util.Set.of(FindingKind.CATEGORY_ROW_ORPHANED, FindingKind.ENDPOINT_ORPHANED,
                    FindingKind.INVALID_IDENTIFIER_ROW),
                    plan.actions().stream().map(PlannedAction::kind).collect(
                            java.util.stream.Collectors.toSet()),
                    plan.toString());
            assertEquals(3, plan.actions().size(), plan.toString());
            String out = stdout(() -> command.apply("--plan", file.toString()), 0);

            assertTrue(out.contains("applied 3,"), out);
            assertTrue(out.contains("cache: cleared 1 cached key(s): 1 deleted, 0 not cached; again after 2000 ms: 0 deleted"), out);
            assertTrue(out.contains("cache: cleared 3 cached key(s): 3 deleted, 0 not cached; again after 2000 ms: 0 deleted;"
                    + " each daemon process may also keep the old declaration in memory"), out);
            assertFalse(out.contains("30 minutes"), "everything was cleared: " + out);

            Map<String, String> after = snapshot(DaemonRedis.DB);
            Map<String, String> expected = new LinkedHashMap<>(before);
            stale.forEach(expected::remove);
            expected.remove(staleHash);
            assertEquals(expected, after, "exactly the stale keys are gone, every other key holds what it held");
            assertEquals("the same key in another database", redis(0, r -> r.get(ENDPOINT + hook)), "REDIS_DB is honoured");

            assertEquals(5.0, metric("deleted") - deletedBefore, "first pass: 5 keys deleted");
            assertEquals(5.0, metric("absent") - absentBefore, "second pass: all 5 already gone");
            assertEquals(0.0, metric("failed") - failedBefore);
            for (PlannedAction a : plan.actions()) {
                String audited = audit(a.id(), "applied");
                assertTrue(audited.startsWith("cleared ") && audited.contains("again after 2000 ms"), a + ": " + audited);
            }

            // restore: the row is back, and whatever was cached for it meanwhile is deleted too
            PlannedAction endpoint = plan.actions().stream().filter(a -> a.kind() == FindingKind.ENDPOINT_ORPHANED).findFirst()
                    .orElseThrow();
            redis(DaemonRedis.DB, r -> r.set(ENDPOINT + hook, "cached while quarantined"));
            String restored = stdout(() -> command.restore("--action", endpoint.id()), 0);
            assertTrue(restored.contains("cache: cleared 1 cached key(s): 1 deleted"), restored);
            assertEquals(0L, (long) redis(DaemonRedis.DB, r -> r.exists(ENDPOINT + hook)));
            assertTrue(audit(endpoint.id(), "restored").startsWith("cleared 1 cached key(s): 1 deleted"));
        } finally {
            Files.deleteIfExists(file);
            // whatever a failure left behind must not become another test's action
            forgetQuarantined(applied);
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
            daemon().execute("DELETE FROM plugin_declarations WHERE plugin_unique_identifier = ?", badUid);
            daemon().execute("DELETE FROM ai_model_installations WHERE tenant_id = ?", modelTenant);
        }
    }

    @Test
    void aReaderThatCachedTheOldRowAgainAfterTheFirstDeleteIsUndoneByTheSecond() throws Exception {
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        List<String> applied = new ArrayList<>();
        try {
            redis(DaemonRedis.DB, r -> r.set(ENDPOINT + hook, "old row"));
            RemediationPlan plan = remediation.plan(scan(runner));
            assertEquals(1, plan.actions().size(), plan.toString());
            applied.addAll(ids(plan));
            List<ActionResult> results;
            ActorLock.Hold held = actorLock.acquire("test"); // as the apply command holds it (the write fence asks)
            try {
                results = remediation.applier().apply(plan, Tokens.acting(remediation.policy()), "second-delete");
            } finally {
                held.close();
            }
            assertEquals(ActionOutcome.APPLIED, results.get(0).outcome(), results.toString());
            assertEquals(0L, (long) redis(DaemonRedis.DB, r -> r.exists(ENDPOINT + hook)), "deleted right after the commit");
            // A daemon reader that loaded the row just before our commit stores it now.
            redis(DaemonRedis.DB, r -> r.set(ENDPOINT + hook, "old row, stored again"));
            cache.awaitSecondDeletes();
            assertEquals(0L, (long) redis(DaemonRedis.DB, r -> r.exists(ENDPOINT + hook)), "deleted again");
            assertTrue(cache.note(plan.actions().get(0).id()).orElseThrow().contains("again after 2000 ms: 1 deleted"));
        } finally {
            forgetQuarantined(applied);
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
    }

    @Test
    void withRedisDownTheRepairStillAppliesAndTheFailureIsCountedAndAudited() throws Exception {
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        double failedBefore = metric("failed");
        Path file = Files.createTempFile("plan", ".json");
        List<String> applied = new ArrayList<>();
        DaemonRedis.server.stop();
        try {
            assertEquals(1, command.plan("--output", file.toString()));
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            assertEquals(1, plan.actions().size(), plan.toString());
            applied.addAll(ids(plan));
            String out = stdout(() -> command.apply("--plan", file.toString()), 0);

            assertTrue(out.contains("applied 1,"), out);
            assertTrue(out.contains("cache: clearing 1 cached key(s) failed ("), out);
            assertTrue(out.contains("the daemon may serve the old value for up to 30 minutes"), out);
            assertEquals(0L, daemon().queryLong("SELECT count(*) FROM endpoints WHERE hook_id = ?", hook), "the repair stands");
            assertEquals(2.0, metric("failed") - failedBefore, "one key, two passes, both failed");
            String audited = audit(plan.actions().get(0).id(), "applied");
            assertTrue(audited.startsWith("clearing 1 cached key(s) failed") && audited.contains("30 minutes"), audited);
        } finally {
            DaemonRedis.server.start();
            Files.deleteIfExists(file);
            forgetQuarantined(applied);
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
    }

    // --- helpers ---

    /** {@code plan}'s action ids, also remembered for the class's final check. */
    private static List<String> ids(RemediationPlan plan) {
        List<String> ids = plan.actions().stream().map(PlannedAction::id).toList();
        APPLIED.addAll(ids);
        return ids;
    }

    /**
     * Leaves none of these actions' rows in quarantine: the rows are this test's own, deleted from the daemon's tables
     * as well, so they are dropped, not restored (a restore would clear their cache keys once more, now and again
     * 2 s later, and that second pass would land in another test's metric counts, or cost 2 s waiting for it).
     */
    private static void forgetQuarantined(List<String> actionIds) throws SQLException {
        try (Connection c = db().connect();
                PreparedStatement ps = c.prepareStatement("DELETE FROM plugin_reconciler.quarantine_rows"
                        + " WHERE action_id = ANY (?) AND restored_at IS NULL")) {
            ps.setArray(1, c.createArrayOf("text", actionIds.toArray()));
            ps.executeUpdate();
        }
    }

    private static long pendingQuarantine(Set<String> actionIds) throws SQLException {
        try (Connection c = db().connect();
                PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM plugin_reconciler.quarantine_rows"
                        + " WHERE action_id = ANY (?) AND restored_at IS NULL) + (SELECT count(*) FROM"
                        + " plugin_reconciler.quarantine_objects WHERE action_id = ANY (?) AND restored_at IS NULL"
                        + " AND purged_at IS NULL)")) {
            ps.setArray(1, c.createArrayOf("text", actionIds.toArray()));
            ps.setArray(2, c.createArrayOf("text", actionIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static <T> T redis(int db, java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>, T> work) {
        return DaemonRedis.server.withClient(db, work);
    }

    /** Every key of the database with its value (hashes as their field map's text). */
    private static Map<String, String> snapshot(int db) {
        return redis(db, r -> {
            Map<String, String> all = new java.util.TreeMap<>();
            for (String k : r.keys("*")) {
                all.put(k, "hash".equals(r.type(k)) ? String.valueOf(new java.util.TreeMap<>(r.hgetall(k))) : r.get(k));
            }
            return all;
        });
    }

    private static String stdout(Callable<Integer> command, int expectedExit) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            exit = command.call();
        } finally {
            System.setOut(original);
        }
        String out = buffer.toString(StandardCharsets.UTF_8);
        assertEquals(expectedExit, exit, out);
        return out;
    }

    static double metric(String outcome) {
        String body = io.restassured.RestAssured.given().accept("text/plain").get("/q/metrics").asString();
        String series = "plugin_reconciler_cache_invalidations_total{outcome=\"" + outcome + "\"";
        // Every outcome is registered at 0 from start-up: a missing series is a renamed metric or outcome, not a zero.
        return body.lines().filter(l -> l.startsWith(series)).mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst().orElseThrow(() -> new AssertionError("no series " + series + "} in /q/metrics"));
    }

    static String audit(String actionId, String outcome) {
        List<String> values = new ArrayList<>();
        try (var c = db().connect();
                var ps = c.prepareStatement("SELECT cache FROM plugin_reconciler.remediation_actions"
                        + " WHERE action_id = ? AND outcome = ? ORDER BY seq DESC")) {
            ps.setString(1, actionId);
            ps.setString(2, outcome);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    values.add(rs.getString(1));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        assertFalse(values.isEmpty(), "no " + outcome + " audit row for " + actionId);
        return String.valueOf(values.get(0));
    }

}
