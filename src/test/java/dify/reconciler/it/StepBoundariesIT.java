package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.testhook.TestStepHook;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.PausedStep;
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
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The step boundaries that {@link ObjectCrashRecoveryIT} and {@link UninstallCrashRecoveryIT} do not halt at, each
 * halted at deterministically (the test hook's {@code dify.reconciler.test.halt-at}: a JVM halt, like SIGKILL) in an
 * armed {@code apply} of the packaged jar, on real PostgreSQL and S3Proxy. One plan holds row and object actions of
 * thirteen kinds; each case halts it at one named step (at the first action that reaches it; the actions before it
 * are applied) and checks: exit 137 with the hook's "halting at step" line; every planted row in its table or in
 * quarantine and every planted object's bytes at their key or in quarantine; after {@code recover}: exit 0, nothing
 * half done, no object in both places, and the half-done action rolled back or completed as the step implies; after
 * {@code restore --all}: every daemon table and every object exactly as planted (the next case starts from there).
 * {@code quarantine_object:put-back} needs the daemon to install meanwhile: the apply pauses after deleting the
 * unreferenced plugin's {@code plugin/U}, the test starts an install of it, and the put-back is halted.
 * {@link StepCoverageTest} fails when a {@link Step} is halted at by none of the three tests.
 */
class StepBoundariesIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String QUARANTINE = CrashDrift.QUARANTINE;
    private static final String KINDS = "refers_too_low,refers_drift,endpoint_orphaned,plugin_unreferenced,package_orphaned,"
            + "asset_orphaned,asset_missing,package_missing,invalid_installed_key,checksum_mismatch,installed_copy_differs,"
            + "installed_object_missing,tenant_storage_drift";

    /** What {@code recover} must do with the action halted at the step. */
    enum Recovery {
        /**
         * Nothing of it was half done: a row transaction not committed is rolled back by PostgreSQL, an object action
         * halted before its first write left nothing. (An earlier plugin_unreferenced's object step may be completed.)
         */
        NOTHING,
        /** The half-done object action is undone ("rolled_back <action> <key>"). */
        ROLLED_BACK,
        /** The half-done object action is finished ("completed <action> <key>"). */
        COMPLETED
    }

    /** Each step this test halts at, and what recovery must do there. */
    static final Map<Step, Recovery> CASES = new EnumMap<>(Step.class);

    static {
        CASES.put(Step.UPDATE_ROW_RECHECKED, Recovery.NOTHING);
        CASES.put(Step.QUARANTINE_ROW_RECHECKED, Recovery.NOTHING);
        CASES.put(Step.UPDATE_ROW_ROWS_CHANGED, Recovery.NOTHING);
        CASES.put(Step.UPDATE_ROW_LAST_LOOKED, Recovery.NOTHING);
        CASES.put(Step.QUARANTINE_ROW_ROWS_CHANGED, Recovery.NOTHING);
        CASES.put(Step.QUARANTINE_ROW_LAST_LOOKED, Recovery.NOTHING);
        CASES.put(Step.QUARANTINE_OBJECT_ROWS_RECHECKED, Recovery.NOTHING);
        CASES.put(Step.COPY_OBJECT_ROWS_RECHECKED, Recovery.NOTHING);
        CASES.put(Step.COPY_OBJECT_ASSET_INTENT_RECORDED, Recovery.ROLLED_BACK);
        CASES.put(Step.COPY_OBJECT_ASSET_WRITTEN, Recovery.COMPLETED);
        CASES.put(Step.QUARANTINE_OBJECT_PUT_BACK, Recovery.ROLLED_BACK);
    }

    /**
     * The halts of the default suite: one of each kind of boundary this test halts at, a row step (a row-set remedy's
     * rows quarantined and changed, not committed) and the put-back (halted only here). The sweep ({@link Sweep}) halts at
     * the other five row steps, which the same JVM halt inside an uncommitted transaction stops at, and at the four object
     * steps the default suite interrupts in process ({@code EveryStoreRecoveryAndPurgeTest}, on S3 among others).
     */
    static final Set<Step> DEFAULT_STEPS = Set.of(Step.QUARANTINE_ROW_ROWS_CHANGED, Step.QUARANTINE_OBJECT_PUT_BACK);

    @Test
    @Tag(Sweep.TAG)
    void haltedAtEachStepNothingIsLostRecoverSettlesItAndRestoreIsExact(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("step-boundaries-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(3, 4, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket);
            // No scan of the seeded dataset first (a launch): ScanCommandIT proves a seeded DifyDataset scans clean, and
            // the plan below must hold exactly the planted actions.

            // CrashSweepIT's drifts, and a tenant's storage size (a row-set update_row)
            DaemonRows daemon = DaemonRows.on(db);
            CrashDrift.Planted drift = CrashDrift.plant(daemon, writer, client, bucket, dataset, LAYOUT);
            String leftover = drift.leftover();
            String leftoverInstalled = drift.leftoverInstalled();
            daemon.execute("UPDATE tenant_storages SET size = 5");

            String missingAsset = drift.missingAsset();
            // the object each half-done action is about, as recover names it
            Map<Step, String> keys = Map.of(Step.COPY_OBJECT_ASSET_INTENT_RECORDED, missingAsset, Step.COPY_OBJECT_ASSET_WRITTEN,
                    missingAsset, Step.QUARANTINE_OBJECT_PUT_BACK, leftoverInstalled);

            Map<String, String> planted = BucketContents.of(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);
            Map<String, Set<String>> rowIds = CrashSweepIT.rowIds(db, tables.keySet());
            Map<String, String> armed = EagerRemediation.armed(env);

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            assertTrue(plan.stdout().contains("Actions: 12;"), "every planted drift is planned: " + plan.stdout());

            for (Map.Entry<Step, Recovery> c : Sweep.part(CASES.entrySet(), e -> DEFAULT_STEPS.contains(e.getKey()))) {
                String step = c.getKey().label();
                long started = System.nanoTime();
                Map<String, String> halted = new HashMap<>(armed);
                String halt = "-D" + TestStepHook.HALT_PROPERTY + "=" + step;
                PackagedApp.Outcome apply;
                if (c.getKey() == Step.QUARANTINE_OBJECT_PUT_BACK) {
                    apply = haltAtPutBack(daemon, client, bucket, leftover, leftoverInstalled, halted, halt, planFile, tmp);
                } else {
                    halted.put("JAVA_TOOL_OPTIONS", halt);
                    apply = PackagedApp.run(halted, "apply", "--plan", planFile.toString());
                }
                assertEquals(TestStepHook.HALT_STATUS, apply.exitCode(), step + ": " + apply.stdout() + apply.stderr());
                assertTrue(apply.stderr().contains("halting at step " + step), step + ": " + apply.stderr());
                Map<String, String> afterHalt = BucketContents.of(client, bucket);
                CrashDrift.assertNothingLost(planted, afterHalt, step);
                CrashSweepIT.assertEveryRowInItsTableOrQuarantine(db, rowIds, step);

                PackagedApp.Outcome recover = PackagedApp.run(armed, "recover");
                assertEquals(0, recover.exitCode(), step + ": " + recover.stdout() + recover.stderr());
                assertTrue(recover.stdout().contains("; undecided 0"), step + ": " + recover.stdout());
                String action = step.substring(0, step.indexOf(':'));
                switch (c.getValue()) {
                    case NOTHING -> assertFalse(recover.stdout().contains("rolled_back "), step + ": nothing to undo: " + recover.stdout());
                    case ROLLED_BACK -> assertTrue(recover.stdout().contains("rolled_back " + action + " " + keys.get(c.getKey()) + " "),
                            step + ": undone: " + recover.stdout());
                    case COMPLETED -> assertTrue(recover.stdout().contains("completed " + action + " " + keys.get(c.getKey()) + " "),
                            step + ": finished: " + recover.stdout());
                }
                assertEquals(0L, RemediationRecords.incompleteObjectEntries(db), step + ": nothing is left half done after recover");
                Map<String, String> recovered = BucketContents.of(client, bucket);
                CrashDrift.assertInExactlyOnePlace(planted, recovered, step);
                CrashSweepIT.assertEveryRowInItsTableOrQuarantine(db, rowIds, step);

                PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
                assertEquals(0, restore.exitCode(), step + ": " + restore.stdout() + restore.stderr());
                assertEquals(planted, BucketContents.of(client, bucket), step + ": restore puts back every object's exact bytes");
                assertEquals(tables, TableDump.daemon(db), step + ": restore puts back every daemon table exactly");
                System.out.printf("step boundaries: %s halted, recovered (%s) and restored in %d ms%n", step, c.getValue(),
                        (System.nanoTime() - started) / 1_000_000);
            }
        }
    }

    /**
     * The apply pauses after each original it deletes; when the deleted one is the unreferenced plugin's
     * {@code plugin/U}, the test starts the daemon's install of it (an install task naming it, in flight), so the
     * re-check after the delete puts the bytes back, and the hook halts right after that copy, before our quarantine
     * copy is deleted: the object is at its key and in quarantine at once. The install is over (its task gone)
     * before {@code recover}, which the caller runs next.
     */
    private static PackagedApp.Outcome haltAtPutBack(DaemonRows daemon, S3Client client, String bucket, String uid,
            String installed, Map<String, String> env, String halt, Path planFile, Path tmp) throws Exception {
        PausedStep deleted = new PausedStep(tmp.resolve("pause-put-back"), Step.QUARANTINE_OBJECT_ORIGINAL_DELETED.label());
        env.put("JAVA_TOOL_OPTIONS", halt + " " + deleted.jvmOptions());
        PackagedApp.Running running = PackagedApp.start(env, "apply", "--plan", planFile.toString());
        UUID task = null;
        for (int pauses = 0; task == null && pauses < 20; pauses++) {
            deleted.awaitReached(Duration.ofMinutes(2));
            if (!BucketContents.of(client, bucket).containsKey(installed)) {
                task = daemon.insertInstallTask("running", UUID.randomUUID(), 1, 0);
                daemon.execute("UPDATE install_tasks SET plugins = ? WHERE id = ?",
                        "[{\"plugin_unique_identifier\":\"" + uid + "\"}]", task);
            }
            deleted.resume();
            while (deleted.isReached()) { // gone once the step went on: only then can the next pause be told apart
                Thread.sleep(10);
            }
        }
        assertTrue(task != null, "the apply deleted " + installed);
        PackagedApp.Outcome outcome = running.await(Duration.ofMinutes(2));
        Map<String, String> halted = BucketContents.of(client, bucket);
        assertTrue(halted.containsKey(installed) && halted.containsKey(QUARANTINE + installed),
                "halted at the put-back: at its key and in quarantine at once: " + halted.keySet());
        daemon.execute("DELETE FROM install_tasks WHERE id = ?", task);
        return outcome;
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        EagerRemediation.on(env);
        env.put("RECONCILER_DEEP_VERIFY", "true"); // a corrupt installed copy is found by reading its bytes
        env.put("RECONCILER_REMEDIATION_KINDS", KINDS);
        return env;
    }
}
