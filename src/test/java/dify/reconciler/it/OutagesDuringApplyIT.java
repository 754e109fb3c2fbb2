package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.PausedStep;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
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
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The servers go away in the middle of an armed {@code apply} (the packaged jar, a dedicated PostgreSQL that is
 * stopped and started again on the same data and port, S3Proxy behind a proxy that is closed, or hangs): the
 * apply ends within a bound, exits exactly 1 and says each action failed (an object action whose bucket part was
 * done but whose audit could not be written included); no row and no object is lost, each object is at its key or in
 * quarantine; once the server is back, the same plan applies (rows) or {@code recover} settles the half-done object
 * action, after which each object is in exactly one place; {@code restore --all} gives back every daemon table and
 * every object's bytes exactly. The test's pause hook ({@link PausedStep}) holds the apply at the step where the
 * server goes away.
 */
class OutagesDuringApplyIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String QUARANTINE = "reconciler-quarantine/";
    /** An apply whose server went away must end within this (it waits on no server forever). */
    private static final Duration BOUND = Duration.ofSeconds(60);
    /**
     * How long a launched apply or service may take to reach the step where the server goes away: not the guarantee,
     * only start-up and planning, which under a heavily loaded machine alone took more than {@link #BOUND}.
     */
    private static final Duration REACH_STEP = Duration.ofMinutes(3);

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private final S3Client client = s3.client();
    private final String bucket = s3.createBucket("outages-" + System.nanoTime());
    /** The S3 endpoint the application sees; replaced by a new one on the same port when S3 "restarts". */
    private FaultyHttpProxy proxy = FaultyHttpProxy.to(s3.endpoint());

    @Test
    void serversStoppedMidApplyFailTheRunLoseNothingAndRecoverAndRestoreGiveBackEverything(@TempDir Path tmp) throws Exception {
        try (EmbeddedPostgres pg = EmbeddedPostgres.startDedicated();
                TestDatabase db = SchemaFixture.CURRENT.applyTo(pg.createDatabase())) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DaemonRows daemon = DaemonRows.on(db);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(daemon, writer, LAYOUT, Instant.now().minus(Duration.ofDays(1)));
            UUID endpoint = daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-orphan", "default");
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            writer.put(orphan, "a package nobody declared");
            Map<String, String> planted = BucketContents.of(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);

            Map<String, String> env = armed(db);
            Map<String, String> both = with(env, "RECONCILER_REMEDIATION_KINDS", "endpoint_orphaned,package_orphaned");
            Map<String, String> objects = with(env, "RECONCILER_REMEDIATION_KINDS", "package_orphaned");

            // 1. PostgreSQL stops while the row action holds its row lock: the transaction is rolled back with it, and
            // the object action after it fails without a step taken.
            Path plan = plan(both, tmp.resolve("both.json"), 2);
            PausedStep rechecked = new PausedStep(tmp.resolve("pause-1"), "quarantine_row:rechecked");
            PackagedApp.Running running = PackagedApp.start(with(both, "JAVA_TOOL_OPTIONS", rechecked.jvmOptions()), "apply", "--plan",
                    plan.toString());
            rechecked.awaitReached(REACH_STEP);
            pg.stop();
            rechecked.resume();
            PackagedApp.Outcome failed = awaitEnd(running);
            assertFailed(failed, 2);
            assertTrue(failed.stdout().contains("failed endpoints/" + endpoint), failed.stdout());
            assertTrue(failed.stdout().contains("failed " + orphan), failed.stdout());
            assertEquals(planted, BucketContents.of(client, bucket), "no object touched");
            pg.start();
            assertEquals(1L, daemon.queryLong("SELECT count(*) FROM endpoints WHERE id = ?", endpoint), "the row is still there");
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE row_id = ?",
                    endpoint.toString()), "nothing in quarantine for it");
            assertEquals(tables, TableDump.daemon(db), "the transaction left nothing behind");
            // The same plan again once the server is back, as an operator re-runs it (nothing it names changed): a new
            // plan would list the same two actions.
            PackagedApp.Outcome applied = PackagedApp.run(both, "apply", "--plan", plan.toString());
            assertEquals(0, applied.exitCode(), applied.stdout() + applied.stderr());
            assertTrue(applied.stdout().contains("applied 2, skipped_changed 0, failed 0"), applied.stdout());
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM endpoints WHERE id = ?", endpoint));
            restoreAll(both, db, tables, planted);

            // 2. PostgreSQL stops after the object's quarantine copy: the delete goes on, its audit cannot be written.
            plan = plan(objects, tmp.resolve("objects-1.json"), 1);
            PausedStep copied = new PausedStep(tmp.resolve("pause-2"), "quarantine_object:quarantine-copied");
            running = PackagedApp.start(with(objects, "JAVA_TOOL_OPTIONS", copied.jvmOptions()), "apply", "--plan", plan.toString());
            copied.awaitReached(REACH_STEP);
            pg.stop();
            copied.resume();
            failed = awaitEnd(running);
            assertFailed(failed, 1);
            assertTrue(failed.stdout().contains("its audit could not be written"), failed.stdout());
            assertSomewhere(planted, orphan);
            pg.start();
            recover(objects, planted, orphan, "completed");
            restoreAll(objects, db, tables, planted);

            // 3a. S3 stops (connections refused) after the quarantine copy: the delete fails, the original stays.
            plan = plan(objects, tmp.resolve("objects-2.json"), 1);
            copied = new PausedStep(tmp.resolve("pause-3"), "quarantine_object:quarantine-copied");
            long audited = failedAudits(daemon, orphan);
            running = PackagedApp.start(with(objects, "JAVA_TOOL_OPTIONS", copied.jvmOptions()), "apply", "--plan", plan.toString());
            copied.awaitReached(REACH_STEP);
            int port = proxy.port();
            proxy.close();
            copied.resume();
            failed = awaitEnd(running);
            assertFailed(failed, 1);
            assertEquals(audited + 1, failedAudits(daemon, orphan), "the failed action is audited");
            assertEquals(planted.get(orphan), BucketContents.of(client, bucket).get(orphan), "the original is still at its key");
            proxy = FaultyHttpProxy.on(port, s3.endpoint());
            recover(objects, planted, orphan, "rolled_back");
            assertEquals(planted, BucketContents.of(client, bucket), "rolled back: the bucket as planted");
            assertEquals(tables, TableDump.daemon(db));

            // 3b. S3 hangs (accepts, never answers) after the quarantine copy: the delete times out, the run ends. The
            // same plan again (the original was never touched), as an operator re-runs it once S3 is back.
            copied = new PausedStep(tmp.resolve("pause-4"), "quarantine_object:quarantine-copied");
            audited = failedAudits(daemon, orphan);
            Map<String, String> impatient = with(objects, "JAVA_TOOL_OPTIONS", copied.jvmOptions());
            // A request to a hanging S3 fails after a few seconds here, not after the defaults' two minutes: the whole
            // call (retries included) after 3 s, which is what the run waits for after the resume (6 s took 6 s).
            impatient.put("RECONCILER_S3_READ_TIMEOUT", "2s");
            impatient.put("RECONCILER_S3_REQUEST_TIMEOUT", "3s");
            running = PackagedApp.start(impatient, "apply", "--plan", plan.toString());
            copied.awaitReached(REACH_STEP);
            proxy.policy(r -> new Fault.Hang());
            copied.resume();
            failed = awaitEnd(running);
            assertFailed(failed, 1);
            assertTrue(proxy.faults() > 0, "requests were held");
            assertEquals(audited + 1, failedAudits(daemon, orphan), "the failed action is audited");
            proxy.policy(r -> Fault.PASS);
            assertEquals(planted.get(orphan), BucketContents.of(client, bucket).get(orphan), "the original is still at its key");
            recover(objects, planted, orphan, "rolled_back");
            restoreAll(objects, db, tables, planted);
        } finally {
            proxy.close();
        }
    }

    /**
     * The service, armed, applies after its scan; S3 stops after the quarantine copy: the action fails and
     * {@code /q/metrics} counts it; with S3 back, {@code recover} rolls it back and the bucket is as planted.
     */
    @Test
    void theServiceCountsTheActionFailedWhenS3StopsMidApply(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DaemonRows daemon = DaemonRows.on(db);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(daemon, writer, LAYOUT, Instant.now().minus(Duration.ofDays(1)));
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 2);
            writer.put(orphan, "another package nobody declared");
            Map<String, String> planted = BucketContents.of(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);

            Map<String, String> env = armed(db);
            env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned");
            PausedStep copied = new PausedStep(tmp.resolve("pause"), "quarantine_object:quarantine-copied");
            Map<String, String> service = with(env, "JAVA_TOOL_OPTIONS", copied.jvmOptions());
            service.put("RECONCILER_INTERVAL", "2s");
            service.put("RECONCILER_FIRST_SCAN_DELAY", "1s");
            String failedSeries = "plugin_reconciler_remediation_actions_total{action=\"quarantine_object\",kind=\"package_orphaned\","
                    + "outcome=\"failed\"}";
            try (RunningService s = RunningService.start(service)) {
                copied.awaitReached(REACH_STEP);
                int port = proxy.port();
                proxy.close();
                copied.resume();
                Instant giveUp = Instant.now().plus(BOUND);
                String value = null;
                while (!"1.0".equals(value) && Instant.now().isBefore(giveUp)) {
                    Thread.sleep(200);
                    value = s.metric(failedSeries);
                }
                assertEquals("1.0", value, "the failed action is counted: " + s.log());
                assertEquals(1L, failedAudits(daemon, orphan), "and audited");
                s.stop();
                proxy = FaultyHttpProxy.on(port, s3.endpoint());
            }
            assertSomewhere(planted, orphan);
            recover(env, planted, orphan, "rolled_back");
            assertEquals(planted, BucketContents.of(client, bucket), "rolled back: the bucket as planted");
            assertEquals(tables, TableDump.daemon(db));
        } finally {
            proxy.close();
        }
    }

    /** The value of one series of a Prometheus text page, or null. */

    /** Armed, through the proxy, acting on findings at once; the caller names the kinds. */
    private Map<String, String> armed(TestDatabase db) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        env.put("S3_ENDPOINT", proxy.endpoint().toString());
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_DRY_RUN", "false");
        return env;
    }

    /** The apply's outcome once it ends (within {@link #BOUND}); prints how long it took after the resume. */
    private static PackagedApp.Outcome awaitEnd(PackagedApp.Running running) throws Exception {
        long t0 = System.nanoTime();
        PackagedApp.Outcome outcome = running.await(BOUND);
        System.out.println("[OutagesDuringApplyIT] the apply ended " + Duration.ofNanos(System.nanoTime() - t0).toMillis()
                + " ms after the outage");
        return outcome;
    }

    /** Plans with {@code env} into {@code file}: exactly {@code actions} actions. */
    private static Path plan(Map<String, String> env, Path file, int actions) throws Exception {
        PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", file.toString());
        assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
        assertTrue(plan.stdout().contains("Actions: " + actions + ";"), plan.stdout());
        return file;
    }

    /** Exit code exactly 1 (never 0, never 2), and every action counted as failed. */
    private static void assertFailed(PackagedApp.Outcome apply, int actions) {
        assertEquals(1, apply.exitCode(), apply.stdout() + apply.stderr());
        assertTrue(apply.stdout().contains(actions + " action(s); applied 0, skipped_changed 0, failed " + actions),
                apply.stdout() + apply.stderr());
    }

    /** Never neither: the planted bytes are at their key or under the quarantine prefix. */
    private void assertSomewhere(Map<String, String> planted, String key) {
        Map<String, String> now = BucketContents.of(client, bucket);
        assertTrue(planted.get(key).equals(now.get(key)) || planted.get(key).equals(now.get(QUARANTINE + key)),
                "'" + key + "' is at its key or in quarantine: " + now);
    }

    /** {@code recover} settles the action as {@code verdict}; then the planted bytes are in exactly one place. */
    private void recover(Map<String, String> env, Map<String, String> planted, String key, String verdict) throws Exception {
        PackagedApp.Outcome recover = PackagedApp.run(env, "recover");
        assertEquals(0, recover.exitCode(), recover.stdout() + recover.stderr());
        assertTrue(recover.stdout().contains(verdict + " quarantine_object " + key), recover.stdout());
        assertTrue(recover.stdout().contains("Interrupted object actions: 1; undecided 0"), recover.stdout());
        Map<String, String> now = BucketContents.of(client, bucket);
        boolean atKey = planted.get(key).equals(now.get(key));
        boolean inQuarantine = planted.get(key).equals(now.get(QUARANTINE + key));
        assertTrue(atKey != inQuarantine, "'" + key + "' is in exactly one place after recovery: " + now);
        assertEquals(verdict.equals("rolled_back"), atKey, now.toString());
    }

    /** {@code restore --all} gives back every daemon table and every object's bytes as planted. */
    private void restoreAll(Map<String, String> env, TestDatabase db, Map<String, List<String>> tables, Map<String, String> planted)
            throws Exception {
        PackagedApp.Outcome restore = PackagedApp.run(env, "restore", "--all");
        assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
        assertEquals(tables, TableDump.daemon(db), "every daemon table as planted");
        assertEquals(planted, BucketContents.of(client, bucket), "every object's bytes as planted, nothing else");
    }

    private static long failedAudits(DaemonRows daemon, String key) {
        return daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE outcome = 'failed'"
                + " AND object_key = ? AND plan_id <> 'recover'", key);
    }

    private static Map<String, String> with(Map<String, String> env, String name, String value) {
        Map<String, String> copy = new HashMap<>(env);
        copy.put(name, value);
        return copy;
    }
}
