package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StartedThreads;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One-shot commands start no service-only background work (breaker and metrics restore, leader election): a quick
 * command used to exit while those threads were still starting, and its output then showed stack traces ("ArC
 * container not initialized") and a false "state ... lost on restart". The packaged jar against real PostgreSQL
 * and S3Proxy, state persisted: every quick command exits 0 with output free of stack traces and of that warning;
 * with a role that may not keep state the warning is there, because then it is true; and the service (no
 * arguments) still restores its metrics and breaker and takes part in the leader election.
 */
class OneShotCommandsIT {

    /** The threads only the service may start (their names in Breaker, Suspension, ReconcilerMetrics and LeaderElection). */
    private static final Set<String> SERVICE_ONLY_THREADS = Set.of("breaker-restore", "suspension-restore", "metrics-restore",
            "reconciler-leader-election");

    @Test
    void quickCommandsExitCleanlyAndTheServiceStillStartsItsBackgroundWork(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("oneshot-it-" + System.nanoTime());
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new S3ObjectWriter(s3.client(), bucket),
                    StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = db.ownerS3Environment(s3, bucket);
            env.put("RECONCILER_INTERVAL", "off");
            EagerRemediation.on(env);
            env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned");
            Path plan = tmp.resolve("plan.json");

            List<List<String>> commands = List.of(List.of("scan", "--format", "text"), List.of("plan", "--output", plan.toString()),
                    List.of("apply", "--plan", plan.toString()), List.of("breaker", "status"));
            for (List<String> command : commands) {
                StartedThreads threads = StartedThreads.recordedIn(tmp, command.get(0));
                PackagedApp.Outcome o = PackagedApp.run(env, threads.jvmOptions(), command.toArray(String[]::new));
                String output = o.stdout() + o.stderr();
                assertEquals(0, o.exitCode(), command + ":\n" + output);
                assertClean(command.toString(), output);
                assertTrue(o.stderr().contains("state: persisted in schema plugin_reconciler"), command + ":\n" + output);
                Set<String> started = new TreeSet<>(threads.names());
                started.retainAll(SERVICE_ONLY_THREADS);
                assertEquals(Set.of(), started, command + " started service-only threads");
            }

            // The SELECT-only role may not create our schema: state is in memory, and the warning says so.
            Map<String, String> reader = new HashMap<>(env);
            reader.put("DB_USERNAME", db.username());
            reader.put("DB_PASSWORD", db.password());
            reader.put("RECONCILER_STATE_SCHEMA", "reader_cannot_create_this");
            PackagedApp.Outcome memory = PackagedApp.run(reader, "scan", "--format", "text");
            assertEquals(0, memory.exitCode(), memory.stdout() + memory.stderr());
            assertTrue(memory.stderr().contains("state: memory (cannot create or update our schema: permission denied to create schema"
                    + " reader_cannot_create_this"), memory.stderr());
            assertTrue(memory.stderr().contains("are not kept after this command"), memory.stderr());
            assertClean("scan as the SELECT-only role", memory.stdout() + memory.stderr());

            // No arguments: the service, which does start its background work.
            StartedThreads serviceThreads = StartedThreads.recordedIn(tmp, "service");
            try (RunningService service = RunningService.start(env, serviceThreads.jvmOptions())) {
                String log = awaitLog(service, "metrics restored from the last stored runs");
                assertTrue(log.contains("leader election: advisory lock"), log);
                assertEquals("0.0", service.metric("plugin_reconciler_breaker_tripped"), "the breaker's gauge is registered at start-up");
                service.stop(); // SIGTERM: the recording is written at exit
                assertTrue(serviceThreads.names().containsAll(SERVICE_ONLY_THREADS),
                        "the service must start " + SERVICE_ONLY_THREADS + "; it started " + serviceThreads.names());
            }
        }
    }

    /**
     * The doctor's exit codes through the jar: armed on a real folder as the daemon's owner without Redis, the one
     * {@code warn} (repairs could not clear the daemon's cache) exits 1; a storage type the configuration does not
     * know stops start-up, and the doctor still answers its one {@code configuration} line as JSON, exit 2.
     */
    @Test
    void doctorExitsOneOnAWarningAndTwoWithOneLineWhenTheConfigurationDoesNotStart(@TempDir Path root) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Map<String, String> env = EagerRemediation.armed(db.ownerEnvironment(root));
            env.put("RECONCILER_INTERVAL", "off");
            env.put("RECONCILER_REMEDIATION_KINDS", "endpoint_orphaned");
            PackagedApp.Outcome warned = PackagedApp.run(env, "doctor", "--format", "text");
            String output = warned.stdout() + warned.stderr();
            assertEquals(1, warned.exitCode(), output);
            assertTrue(warned.stdout().contains("WARN redis: not configured"), output);
            assertTrue(warned.stdout().contains("OK   storage key with ':' and '@': reconciler-quarantine/doctor-probe/"), output);
            assertTrue(warned.stdout().endsWith("doctor: 19 check(s), 1 warning(s), 0 failure(s)\n"), output);
            assertClean("doctor", output);

            Map<String, String> invalid = new HashMap<>(env);
            invalid.put("PLUGIN_STORAGE_TYPE", "floppy");
            PackagedApp.Outcome failed = PackagedApp.run(invalid, "doctor", "--format", "json");
            assertEquals(2, failed.exitCode(), failed.stdout() + failed.stderr());
            JsonNode checks = new ObjectMapper().readTree(failed.stdout()).get("checks");
            assertEquals(1, checks.size(), failed.stdout());
            assertEquals("configuration", checks.get(0).get("name").asText());
            assertEquals("fail", checks.get(0).get("status").asText());
            assertTrue(checks.get(0).get("detail").asText().contains("floppy"), failed.stdout());
            assertFalse(failed.stdout().contains(EmbeddedPostgres.DAEMON_PASSWORD), failed.stdout());
        }
    }

    /** No stack trace, no ArC start-up race, no claim that state is lost on restart. */
    private static void assertClean(String command, String output) {
        for (String noise : List.of("Exception", "\tat ", "ArC container not initialized", "lost on restart")) {
            assertFalse(output.contains(noise), () -> command + " printed '" + noise + "':\n" + output);
        }
    }

    /** The service's log once it contains {@code expected} (restores run in the background), at most 30 s. */
    private static String awaitLog(RunningService service, String expected) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(30);
        String log = service.log();
        while (!log.contains(expected) && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
            log = service.log();
        }
        assertTrue(log.contains(expected), "the service did not log '" + expected + "':\n" + log);
        return log;
    }
}
