package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.actor.ActorLock;
import dify.reconciler.actor.WriteFence;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.state.StateStore;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.CapturedCommand;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.ForwardingStorage;
import dify.reconciler.testsupport.TableDump;
import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One actor for the bucket too: restore, purge and recovery of quarantined objects check the actor lock before
 * each entry's storage step, as row transactions do. A command whose lock session died (a dropped connection, a
 * terminated backend) while it runs writes nothing more to the bucket: restore reports each entry failed, purge and
 * recovery stop with "not written", and every object stays where it was; once a command holds the lock again, the
 * same steps act.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Command.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class ObjectWritesFencedTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(true, FindingKind.PACKAGE_ORPHANED);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
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

    @Inject
    AgroalDataSource dataSource;

    @Inject
    StateStore state;

    @Inject
    WriteFence fence;

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

            ActorLock.Hold restoring = actorLock.acquire("restore");
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
            ActorLock.Hold recovering = actorLock.acquire("recover");
            try {
                terminateLockSession("recover");
                SQLException recover = assertThrows(SQLException.class, () -> remediation.recoverInterrupted(Tokens.acting()));
                assertTrue(recover.getMessage().contains("not written"), recover.getMessage());
                assertEquals(halfDoneState, BucketContents.of(root), "our copy stays until a process holding the lock recovers");
            } finally {
                recovering.close();
            }

            // With the lock: the same steps act.
            CapturedCommand recovered = CapturedCommand.of(() -> command.recover());
            assertEquals(0, recovered.exit(), recovered.toString());
            assertTrue(recovered.out().contains("rolled_back"), recovered.out());
            // This plan's one action, not --all: a class that ran before this one in the same application (a
            // shared profile, docs/development.md) may have left its own actions quarantined.
            JsonNode actions = new ObjectMapper().readTree(plan.toFile()).get("actions");
            assertEquals(1, actions.size(), actions.toString());
            CapturedCommand restoredAll = CapturedCommand.of(() -> command.restore("--action", actions.get(0).get("id").asText()));
            assertEquals(0, restoredAll.exit(), restoredAll.toString());
            Files.delete(root.resolve(second));
            assertEquals(planted, BucketContents.of(root), "every object back exactly");
            assertEquals(tables, TableDump.daemon(db()), "no daemon row touched");
        } finally {
            Files.deleteIfExists(plan);
            Files.deleteIfExists(root.resolve(orphan));
        }
    }

    /**
     * Ends the backend of our command's lock session, as a dropped connection or an operator's kill would, and waits
     * until it has exited: {@code pg_terminate_backend(pid)} alone only signals it, so the next fence check could still
     * find the lock held. The wait form returns true once the backend is gone (false, with a warning, after 5 s).
     */
    static void terminateLockSession(String commandName) throws SQLException {
        try (Connection superuser = db().server().connectTo(db().name());
                PreparedStatement kill = superuser
                        .prepareStatement("SELECT count(*), count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                                + " FROM pg_stat_activity WHERE datname = ? AND application_name LIKE ?")) {
            kill.setString(1, db().name());
            kill.setString(2, "dify-plugin-reconciler " + commandName + " %");
            try (var rs = kill.executeQuery()) {
                rs.next();
                assertEquals(1, rs.getLong(1), "exactly one lock session of the " + commandName + " command");
                assertEquals(1, rs.getLong(2), "our lock session was terminated and has exited");
            }
        }
    }

    /**
     * Checked before each entry, not once per command: three quarantined packages, and the lock session dies right after
     * the first entry's last storage step (a storage wrapper terminates it then, so the moment is exact). Restore puts
     * the first entry back and fails the other two without touching them; purge, on the two left, deletes the first
     * one's copy and stops before the second.
     */
    @Test
    void aLockLostBetweenTwoEntriesStopsRestoreAndPurgeAtTheNextEntry() throws Exception {
        Path root = DriftedDaemonAccess.storageRoot();
        Map<String, List<String>> tables = TableDump.daemon(db());
        List<String> orphans = List.of(3, 4, 5).stream().map(i -> "plugin_packages/" + DifyDataset.fakeUid("fenced", i)).toList();
        for (String orphan : orphans) {
            Files.createDirectories(root.resolve(orphan).getParent());
            Files.writeString(root.resolve(orphan), "package nobody declared: " + orphan, StandardCharsets.UTF_8);
        }
        Map<String, String> planted = BucketContents.of(root);
        Path plan = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, CapturedCommand.of(() -> command.plan("--output", plan.toString())).exit());
            CapturedCommand applied = CapturedCommand.of(() -> command.apply("--plan", plan.toString()));
            assertEquals(0, applied.exit(), applied.toString());
            List<String> order = pendingInProcessingOrder();
            assertEquals(orphans.stream().sorted().toList(), order.stream().sorted().toList(), "the three are quarantined");
            Map<String, String> quarantined = BucketContents.of(root);

            ActorLock.Hold restoring = actorLock.acquire("restore");
            List<ActionResult> restored;
            try {
                restored = quarantineOn(new LockLostAfterFirstDelete("restore")).restore(null, "fenced-between-test");
            } finally {
                restoring.close();
            }
            assertEquals(List.of(ActionOutcome.RESTORED, ActionOutcome.FAILED, ActionOutcome.FAILED),
                    restored.stream().map(ActionResult::outcome).toList(), restored.toString());
            assertEquals(order, restored.stream().map(ActionResult::rowId).toList(), restored.toString());
            assertTrue(restored.get(1).detail().contains("not written") && restored.get(2).detail().contains("not written"),
                    restored.toString());
            Map<String, String> expected = new java.util.TreeMap<>(quarantined);
            expected.put(order.get(0), expected.remove(QUARANTINE + order.get(0)));
            assertEquals(expected, BucketContents.of(root), "the first entry is back, the other two untouched");
            assertEquals(order.subList(1, 3), pendingInProcessingOrder());

            ActorLock.Hold purging = actorLock.acquire("purge");
            try {
                ObjectQuarantine quarantine = quarantineOn(new LockLostAfterFirstDelete("purge"));
                SQLException purge = assertThrows(SQLException.class, () -> quarantine.purge(Instant.now().plusSeconds(3600)));
                assertTrue(purge.getMessage().contains("not written"), purge.getMessage());
            } finally {
                purging.close();
            }
            expected.remove(QUARANTINE + order.get(1));
            assertEquals(expected, BucketContents.of(root), "the first entry left has its copy purged, the second keeps it");
            assertEquals(order.subList(2, 3), pendingInProcessingOrder());

            // The last entry's action, not --all (see the test above).
            String last = null;
            for (JsonNode action : new ObjectMapper().readTree(plan.toFile()).get("actions")) {
                last = order.get(2).equals(action.get("key").asText()) ? action.get("id").asText() : last;
            }
            String lastAction = last;
            assertTrue(lastAction != null, order.get(2) + " is one of the plan's actions");
            CapturedCommand restoredAll = CapturedCommand.of(() -> command.restore("--action", lastAction));
            assertEquals(0, restoredAll.exit(), restoredAll.toString());
            Map<String, String> back = new java.util.TreeMap<>(planted);
            back.remove(order.get(1)); // purged: gone for good, as purge means
            assertEquals(back, BucketContents.of(root), "with the lock the last entry is restored too");
            assertEquals(tables, TableDump.daemon(db()), "no daemon row touched");
        } finally {
            Files.deleteIfExists(plan);
            for (String orphan : orphans) {
                Files.deleteIfExists(root.resolve(orphan));
            }
        }
    }

    /** Restore, purge and recovery of quarantined objects as the service builds them, on the given storage. */
    private ObjectQuarantine quarantineOn(ObjectStorage on) {
        return new ObjectQuarantine(dataSource, on, state.table("quarantine_objects"),
                new RemediationAudit(state.table("remediation_actions"), "fenced-test", Clock.systemUTC()), (a, b, c) -> {},
                Clock.systemUTC(), fence);
    }

    /** Original keys of the entries not restored or purged, in the order restore and purge process them (newest first). */
    private List<String> pendingInProcessingOrder() throws SQLException {
        List<String> keys = new java.util.ArrayList<>();
        try (Connection c = db().connect();
                PreparedStatement ps = c.prepareStatement("SELECT original_key FROM " + state.table("quarantine_objects")
                        + " WHERE restored_at IS NULL AND purged_at IS NULL ORDER BY id DESC");
                var rs = ps.executeQuery()) {
            while (rs.next()) {
                keys.add(rs.getString(1));
            }
        }
        return keys;
    }

    /** The service's storage, whose command lock session is terminated right after the first delete went through. */
    private final class LockLostAfterFirstDelete extends ForwardingStorage {
        private final String commandName;
        private boolean lost;

        LockLostAfterFirstDelete(String commandName) {
            super(storage);
            this.commandName = commandName;
        }

        @Override
        public void delete(StoredObject expected) {
            super.delete(expected);
            if (!lost) {
                lost = true;
                try {
                    terminateLockSession(commandName);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

}
