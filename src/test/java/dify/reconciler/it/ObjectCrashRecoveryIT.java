package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RemediationRecords;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Crash safety of the multi-step object actions, on the packaged jar and a real S3 API (S3Proxy). For every
 * step boundary of {@code quarantine_object} (an orphaned package) and of the replacing {@code copy_object} (a
 * corrupt installed copy replaced by its verified package) from the intent on (the rows-rechecked boundaries, the
 * put-back and the asset re-creation's are halted at by {@link StepBoundariesIT}; {@link StepCoverageTest} keeps the
 * split complete), an armed {@code apply} is killed there by the test-only hook {@code -Ddify.reconciler.test.halt-at} (a JVM halt: no shutdown hooks, no finally blocks, like
 * SIGKILL). Then: each planted object is at its key or under the quarantine prefix, never neither; {@code recover}
 * (for two boundaries the next {@code apply}, which recovers first) rolls the action back or completes it as the
 * step implies, after which no object is in both places and the
 * audit says which; {@code restore --all} gives back every object's bytes and every daemon table as planted. An
 * original rewritten by someone else after the kill is left alone and reported (exit 1).
 */
class ObjectCrashRecoveryIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String QUARANTINE = "reconciler-quarantine/";

    /** Each step boundary, and whether recovery must complete (true) or roll back (false) the action killed there. */
    static final Map<String, Boolean> STEPS = new LinkedHashMap<>();

    static {
        STEPS.put("quarantine_object:intent-recorded", false);
        STEPS.put("quarantine_object:quarantine-copied", false);
        STEPS.put("quarantine_object:original-deleted", true);
        STEPS.put("copy_object:intent-recorded", false);
        STEPS.put("copy_object:quarantine-copied", false);
        STEPS.put("copy_object:replacement-intent-recorded", false);
        STEPS.put("copy_object:target-replaced", true);
        STEPS.put("copy_object:replacement-recorded", true);
    }

    private static final Set<String> VIA_APPLY = Set.of("quarantine_object:quarantine-copied", "copy_object:target-replaced");

    /**
     * The kills of the default suite: one per action, one rolled back (by the next {@code apply}) and one completed (by
     * {@code recover}); the undecided case below kills a third time. Every object step is also interrupted in process on
     * every distinct adapter's turn ({@code EveryStoreRecoveryAndPurgeTest}); the sweep ({@link Sweep}) kills at the other
     * six.
     */
    static final Set<String> DEFAULT_STEPS = Set.of("quarantine_object:quarantine-copied", "copy_object:replacement-recorded");

    @Test
    @Tag(Sweep.TAG)
    void everyStepBoundaryIsRecoveredWithNoObjectLostOrDuplicatedAndRestoredExactly(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("crash-it-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket);
            // No scan of the seeded dataset first (a launch): ScanCommandIT proves a seeded DifyDataset scans clean, and
            // the plan below must hold exactly the planted actions.

            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            String corrupt = dataset.localPlugin(1).pkg().key(LAYOUT.installed());
            writer.put(orphan, "a package nobody declared");
            writer.put(corrupt, "not a zip");
            Map<String, String> planted = objects(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);
            String repaired = planted.get(dataset.localPlugin(1).pkg().key(LAYOUT.packages()));

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            assertTrue(plan.stdout().contains("Actions: 2;"), plan.stdout());

            Map<String, String> armed = EagerRemediation.armed(env);
            for (Map.Entry<String, Boolean> step : Sweep.part(STEPS.entrySet(), e -> DEFAULT_STEPS.contains(e.getKey()))) {
                String name = step.getKey();
                boolean completes = step.getValue();
                String key = name.startsWith("quarantine_object") ? orphan : corrupt;
                int audited = RemediationRecords.recoveryAudit(db).size();

                Map<String, String> killed = new HashMap<>(armed);
                killed.put("JAVA_TOOL_OPTIONS", "-Ddify.reconciler.test.halt-at=" + name);
                PackagedApp.Outcome apply = PackagedApp.run(killed, "apply", "--plan", planFile.toString());
                assertEquals(137, apply.exitCode(), name + ": " + apply.stdout() + apply.stderr());
                assertTrue(apply.stderr().contains("halting at step " + name), apply.stderr());
                Map<String, String> afterCrash = objects(client, bucket);
                for (String k : List.of(orphan, corrupt)) {
                    assertTrue(planted.get(k).equals(afterCrash.get(k)) || planted.get(k).equals(afterCrash.get(QUARANTINE + k)),
                            name + ": '" + k + "' is at its key or in quarantine after the crash: " + afterCrash);
                }

                // Two boundaries are recovered by the next apply (which recovers first, then applies the plan again).
                boolean viaApply = VIA_APPLY.contains(name);
                PackagedApp.Outcome recover = viaApply
                        ? PackagedApp.run(armed, "apply", "--plan", planFile.toString())
                        : PackagedApp.run(armed, "recover");
                assertEquals(0, recover.exitCode(), name + ": " + recover.stdout() + recover.stderr());
                if (!viaApply) {
                    assertTrue(recover.stdout().contains((completes ? "completed " : "rolled_back ")), name + ": " + recover.stdout());
                }
                Map<String, String> recovered = objects(client, bucket);
                for (String k : List.of(orphan, corrupt)) {
                    boolean atKey = planted.get(k).equals(recovered.get(k));
                    boolean inQuarantine = planted.get(k).equals(recovered.get(QUARANTINE + k));
                    assertTrue(atKey != inQuarantine, name + ": '" + k + "' is in exactly one place after recovery: " + recovered);
                }
                // After a roll back the object is at its key again, unless the apply that recovered moved it anew.
                assertEquals(!completes && !viaApply, planted.get(key).equals(recovered.get(key)), name + ": " + recovered);
                if (completes && key.equals(corrupt)) {
                    assertEquals(repaired, recovered.get(corrupt), name + ": the verified package replaced the corrupt copy");
                }
                List<String[]> audit = RemediationRecords.recoveryAudit(db);
                assertEquals(audited + 1, audit.size(), name + ": one recovery audited");
                String[] last = audit.get(audit.size() - 1);
                assertEquals(key, last[0], name);
                assertEquals(completes ? "applied" : "failed", last[1], name);
                assertTrue(
                        last[2].startsWith(completes ? "completed after an interrupted action" : "rolled back after an interrupted action"),
                        name + ": " + last[2]);

                assertEquals(0L, RemediationRecords.incompleteObjectEntries(db), name + ": nothing is left half done");

                PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
                assertEquals(0, restore.exitCode(), name + ": " + restore.stdout() + restore.stderr());
                assertEquals(planted, objects(client, bucket), name + ": restore puts back every object's exact bytes");
                assertEquals(tables, TableDump.daemon(db), name);
            }

            if (Sweep.active()) {
                return; // the undecided case runs once, in the default suite
            }
            // Someone else rewrote the original after the kill: neither roll back nor complete is safe, so recover
            // leaves both objects alone, reports it and exits 1.
            Map<String, String> killed = new HashMap<>(armed);
            killed.put("JAVA_TOOL_OPTIONS", "-Ddify.reconciler.test.halt-at=quarantine_object:quarantine-copied");
            assertEquals(137, PackagedApp.run(killed, "apply", "--plan", planFile.toString()).exitCode());
            writer.put(orphan, "the daemon wrote other bytes here");
            Map<String, String> tampered = objects(client, bucket);
            int audited = RemediationRecords.recoveryAudit(db).size();
            PackagedApp.Outcome undecided = PackagedApp.run(armed, "recover");
            assertEquals(1, undecided.exitCode(), undecided.stdout() + undecided.stderr());
            assertTrue(undecided.stdout().contains("undecided quarantine_object " + orphan), undecided.stdout());
            assertEquals(tampered, objects(client, bucket), "an undecided action is left alone");
            assertEquals(planted.get(orphan), tampered.get(QUARANTINE + orphan), "our copy of the old bytes stays");
            assertEquals(audited, RemediationRecords.recoveryAudit(db).size(), "nothing recovered, nothing audited");
            assertEquals(1L, RemediationRecords.incompleteObjectEntries(db), "still reported by the next recovery");
            assertFalse(RemediationRecords.recoveryAudit(db).isEmpty());
        }
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        EagerRemediation.on(env);
        env.put("RECONCILER_DEEP_VERIFY", "true"); // checksum_mismatch is found by reading the bytes
        env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned,checksum_mismatch");
        return env;
    }

    private static Map<String, String> objects(S3Client client, String bucket) {
        return BucketContents.of(client, bucket);
    }
}
