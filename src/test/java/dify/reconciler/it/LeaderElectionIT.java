package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.leader.LeaderLockKey;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two packaged services on one database, as two replicas of a rollout: exactly one leads; killed with SIGKILL
 * (no shutdown hook, no unlock), the other leads within one scan interval. The one-shot command never takes
 * the lock.
 */
class LeaderElectionIT {

    private static final Duration INTERVAL = Duration.ofSeconds(2);
    /** Slack on top of one interval: the killed backend's exit, a scrape, a loaded 2-core CI machine. */
    private static final Duration SLACK = Duration.ofSeconds(3);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestDatabase db;

    @BeforeAll
    static void createDatabase() {
        db = SchemaFixture.CURRENT.newDatabase();
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @Test
    void exactlyOneOfTwoServicesLeadsAndWhenItIsKilledTheOtherLeadsWithinOneInterval(@TempDir Path tmp) throws Exception {
        try (Service a = Service.start(env(tmp)); Service b = Service.start(env(tmp))) {
            Service leader = awaitExactlyOneLeader(a, b);
            Service follower = leader == a ? b : a;
            assertEquals("0.0", follower.metric("plugin_reconciler_leader"));

            JsonNode leading = leader.readinessData();
            assertTrue(leading.get("leader").asBoolean(), leading.toString());
            assertEquals(LeaderLockKey.of("plugin_reconciler"), leading.get("leaderLockKey").asLong());
            JsonNode following = follower.readinessData();
            assertFalse(following.get("leader").asBoolean(), following.toString());
            assertEquals("following", following.get("leaderElection").asText(), following.toString());
            assertEquals(leading.get("leaderHolder").asText(), following.get("leaderHolder").asText(),
                    "the follower names the leader's session");
            assertTrue(following.get("leaderHolder").asText().contains("dify-plugin-reconciler leader"), following.toString());
            assertEquals(200, follower.get("/q/health/ready").statusCode(), "following is not a health problem");

            long killed = System.nanoTime();
            leader.process().destroyForcibly(); // SIGKILL: no shutdown, no unlock; only the session's end frees the lock
            assertTrue(leader.process().waitFor(10, TimeUnit.SECONDS));
            Duration limit = INTERVAL.plus(SLACK);
            while (!"1.0".equals(follower.metric("plugin_reconciler_leader"))) {
                if (System.nanoTime() - killed > limit.toNanos()) {
                    fail("the survivor did not lead within " + limit + ": " + follower.readinessData() + "\n" + follower.output());
                }
                Thread.sleep(100);
            }
            assertTrue(follower.readinessData().get("leader").asBoolean());
        }
    }

    @Test
    void aLeaderStoppedWithSigtermUnlocksOnItsWayOutAndTheOtherLeadsWithinOneInterval(@TempDir Path tmp) throws Exception {
        try (Service a = Service.start(env(tmp)); Service b = Service.start(env(tmp))) {
            Service leader = awaitExactlyOneLeader(a, b);
            Service follower = leader == a ? b : a;
            leader.stop(); // SIGTERM, as a rolling update stops the old pod; returns once the process has ended
            long stopped = System.nanoTime();
            assertTrue(leader.output().contains("leadership released: advisory lock " + LeaderLockKey.of("plugin_reconciler")
                    + " unlocked"), leader.output());
            Duration limit = INTERVAL.plus(SLACK);
            while (!"1.0".equals(follower.metric("plugin_reconciler_leader"))) {
                if (System.nanoTime() - stopped > limit.toNanos()) {
                    fail("the survivor did not lead within " + limit + ": " + follower.readinessData() + "\n" + follower.output());
                }
                Thread.sleep(100);
            }
        }
    }

    @Test
    void theOneShotScanNeverTakesTheLock(@TempDir Path tmp) throws Exception {
        Map<String, String> env = env(tmp);
        Path out = tmp.resolve("scan.out");
        Process scan = PackagedApp.builder(env, List.of("-Xmx256m"), "scan").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        boolean sawTheScansConnection = false;
        try (Connection superuser = db.server().connectTo(db.name())) {
            while (scan.isAlive()) {
                assertEquals(0, count(superuser, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        + " AND database = (SELECT oid FROM pg_database WHERE datname = ?)"), "the one-shot scan took an advisory lock");
                sawTheScansConnection |= count(superuser, "SELECT count(*) FROM pg_stat_activity WHERE datname = ?"
                        + " AND application_name LIKE 'dify-plugin-reconciler%'") > 0;
                Thread.sleep(20);
            }
        } finally {
            scan.destroyForcibly();
        }
        assertEquals(0, scan.waitFor(), Files.readString(out, StandardCharsets.UTF_8));
        assertTrue(sawTheScansConnection, "the check ran while the scan was connected");
    }

    private static Service awaitExactlyOneLeader(Service a, Service b) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            String la = a.metric("plugin_reconciler_leader");
            String lb = b.metric("plugin_reconciler_leader");
            assertFalse("1.0".equals(la) && "1.0".equals(lb), "two leaders");
            if ("1.0".equals(la) || "1.0".equals(lb)) {
                // Both have tried at least once by now (each tries at start-up); give the second one more tick.
                Thread.sleep(INTERVAL.toMillis() + 500);
                la = a.metric("plugin_reconciler_leader");
                lb = b.metric("plugin_reconciler_leader");
                assertEquals(1, ("1.0".equals(la) ? 1 : 0) + ("1.0".equals(lb) ? 1 : 0), "exactly one leader: a=" + la + " b=" + lb);
                return "1.0".equals(la) ? a : b;
            }
            Thread.sleep(200);
        }
        fail("no instance led within 30 s:\n" + a.output() + "\n" + b.output());
        return null;
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, db.name());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The read-only role, an empty local folder (a scan of an empty daemon is clean), scans every 2 s. */
    private static Map<String, String> env(Path tmp) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", db.host());
        env.put("DB_PORT", Integer.toString(db.port()));
        env.put("DB_USERNAME", db.username());
        env.put("DB_PASSWORD", db.password());
        env.put("DB_DATABASE", db.name());
        env.put("PLUGIN_STORAGE_TYPE", "local");
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", Files.createDirectories(tmp.resolve("storage")).toString());
        env.put("RECONCILER_INTERVAL", INTERVAL.toSeconds() + "s");
        env.put("RECONCILER_FIRST_SCAN_DELAY", "1s");
        return env;
    }

    /** One packaged service ({@link RunningService}) and what these tests read from it. */
    private record Service(RunningService running) implements AutoCloseable {

        static Service start(Map<String, String> env) throws Exception {
            return new Service(RunningService.start(env));
        }

        Process process() {
            return running.process();
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return running.get(path);
        }

        /** The value of an unlabelled series of /q/metrics, or null. */
        String metric(String series) throws IOException, InterruptedException {
            HttpResponse<String> r = get("/q/metrics");
            assertEquals(200, r.statusCode(), r.body());
            for (String line : r.body().split("\n")) {
                if (line.startsWith(series + " ")) {
                    return line.substring(series.length() + 1).trim();
                }
            }
            return null;
        }

        JsonNode readinessData() throws IOException, InterruptedException {
            JsonNode ready = JSON.readTree(get("/q/health/ready").body());
            return ready.get("checks").get(0).get("data");
        }

        String output() {
            return running.log();
        }

        /** SIGTERM, as a rolling update stops the old pod; returns once the process has ended. */
        void stop() throws InterruptedException {
            running.stop();
        }

        @Override
        public void close() {
            running.close();
        }
    }
}
