package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.CapturedCommand;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * One actor for the bucket too: restore, purge and recovery of quarantined objects check the actor lock before
 * each entry's storage step, as row transactions do. A command whose lock session died (a dropped connection, a
 * terminated backend) while it runs writes nothing more to the bucket: restore reports each entry failed, purge and
 * recovery stop with "not written", and every object stays where it was; once a command holds the lock again, the
 * same steps act.
 */
@QuarkusTest
@TestProfile(ObjectWritesFencedTest.ArmedCommand.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class ObjectWritesFencedTest {

    /** A one-shot command's process, armed for orphaned packages, acting on the first sighting. */
    public static class ArmedCommand implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.mode", "scan", "reconciler.remediation.dry-run", "false",
                    "reconciler.remediation.confirmations", "1", "reconciler.remediation.min-age", "0s",
                    "reconciler.remediation.min-age-info", "0s", "reconciler.remediation.max-share", "1",
                    "reconciler.remediation.kinds", "package_orphaned");
        }
    }

    private static final String QUARANTINE = "reconciler-quarantine/";

    @Inject
    RemediationCommand command;

    @Inject
    RemediationService remediation;

    @Inject
    CommandLock actorLock;

    @Inject
    ObjectStorage storage;

    @Test
    void aCommandWhoseLockSessionDiedRestoresPurgesAndRecoversNoObject() throws Exception {
        Path root = DriftedDaemonAccess.storageRoot();
        String orphan = "plugin_packages/" + DifyDataset.fakeUid("fenced", 1);
        Map<String, List<String>> tables = TableDump.daemon(db());
        Files.createDirectories(root.resolve(orphan).getParent());
        Files.writeString(root.resolve(orphan), "a package nobody declared", StandardCharsets.UTF_8);
        Map<String, String> planted = BucketContents.of(root);
        Path plan = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, CapturedCommand.of(() -> command.plan("--output", plan.toString())).exit());
            CapturedCommand applied = CapturedCommand.of(() -> command.apply("--plan", plan.toString()));
            assertEquals(0, applied.exit(), applied.toString());
            Map<String, String> quarantined = BucketContents.of(root);
            assertEquals(planted.get(orphan), quarantined.get(QUARANTINE + orphan), "moved under the quarantine prefix");
            assertFalse(quarantined.containsKey(orphan));

            CommandLock.Hold restoring = actorLock.acquire("restore");
            try {
                terminateLockSession("restore");
                List<ActionResult> restored = remediation.objectQuarantine().restore(null, "fenced-test");
                assertEquals(1, restored.size(), restored.toString());
                assertEquals(ActionOutcome.FAILED, restored.get(0).outcome(), restored.toString());
                assertTrue(restored.get(0).detail().contains("not written"), restored.get(0).detail());
                SQLException purge = assertThrows(SQLException.class,
                        () -> remediation.objectQuarantine().purge(Instant.now().plusSeconds(3600)));
                assertTrue(purge.getMessage().contains("not written"), purge.getMessage());
                assertEquals(quarantined, BucketContents.of(root), "no object restored or purged without the lock");
            } finally {
                restoring.close();
            }

            // A half-done quarantine of another object (intent recorded, copy made, original not yet deleted): what a
            // killed apply leaves. Recovery would delete our copy; without the lock it must not.
            String second = "plugin_packages/" + DifyDataset.fakeUid("fenced", 2);
            Files.writeString(root.resolve(second), "another package nobody declared", StandardCharsets.UTF_8);
            Files.createDirectories(root.resolve(QUARANTINE + second).getParent());
            Files.copy(root.resolve(second), root.resolve(QUARANTINE + second));
            PlannedAction halfDone = new PlannedAction("fenced-test/1", FindingKind.PACKAGE_ORPHANED, RemedyAction.QUARANTINE_OBJECT,
                    null, null, DifyDataset.fakeUid("fenced", 2), null, null, "half done", second, null, null, null, null);
            remediation.objectQuarantine().recordIntent(halfDone, second, QUARANTINE + second, storage.head(second).orElseThrow(),
                    false);
            Map<String, String> halfDoneState = BucketContents.of(root);
            CommandLock.Hold recovering = actorLock.acquire("recover");
            try {
                terminateLockSession("recover");
                SQLException recover = assertThrows(SQLException.class, () -> remediation.recoverInterrupted(true));
                assertTrue(recover.getMessage().contains("not written"), recover.getMessage());
                assertEquals(halfDoneState, BucketContents.of(root), "our copy stays until a process holding the lock recovers");
            } finally {
                recovering.close();
            }

            // With the lock: the same steps act.
            CapturedCommand recovered = CapturedCommand.of(() -> command.recover());
            assertEquals(0, recovered.exit(), recovered.toString());
            assertTrue(recovered.out().contains("rolled_back"), recovered.out());
            CapturedCommand restoredAll = CapturedCommand.of(() -> command.restore("--all"));
            assertEquals(0, restoredAll.exit(), restoredAll.toString());
            Files.delete(root.resolve(second));
            assertEquals(planted, BucketContents.of(root), "every object back exactly");
            assertEquals(tables, TableDump.daemon(db()), "no daemon row touched");
        } finally {
            Files.deleteIfExists(plan);
            Files.deleteIfExists(root.resolve(orphan));
        }
    }

    /** Ends the backend of our command's lock session, as a dropped connection or an operator's kill would. */
    private static void terminateLockSession(String commandName) throws SQLException {
        try (Connection superuser = db().server().connectTo(db().name());
                PreparedStatement kill = superuser.prepareStatement("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                        + " WHERE datname = ? AND application_name LIKE ?")) {
            kill.setString(1, db().name());
            kill.setString(2, "dify-plugin-reconciler " + commandName + " %");
            try (var rs = kill.executeQuery()) {
                rs.next();
                assertEquals(1, rs.getLong(1), "exactly our lock session was terminated");
            }
        }
    }

    private static TestDatabase db() {
        return DriftedDaemonAccess.database();
    }
}
