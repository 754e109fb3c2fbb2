package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.pluginRowId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.actor.ActorLock;
import dify.reconciler.actor.WriteFence;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.leader.CommandLock;
import dify.reconciler.leader.LeaderElector;
import dify.reconciler.leader.LeaderLockKey;
import dify.reconciler.leader.LeaderStatus;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.CapturedCommand;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One actor, one-shot commands included, in the command's own process ({@code reconciler.mode=scan}, armed,
 * persisted state): while another session holds the leader's advisory lock, as an armed service's leader does,
 * {@code apply}, {@code restore}, {@code recover} and {@code purge} refuse with exit 2, name the holder, and write
 * nothing (the daemon's tables, our schema and the storage folder unchanged); read-only commands still run. Once
 * the lock is free the same commands act, and a command's write transactions are fenced by its own lock session.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Command.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class OneActorCommandTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(true, FindingKind.REFERS_TOO_LOW);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final String OTHER_LEADER = "dify-plugin-reconciler leader other-pod";

    @Inject
    RemediationCommand command;

    @Inject
    CommandLock actorLock;

    @Inject
    WriteFence fence;

    @Test
    void everyWritingCommandRefusesWhileAnotherReconcilerHoldsTheLockAndActsOnceItIsFree() throws Exception {
        String plugin = pluginRowId("langgenius/plugin2");
        Map<String, List<String>> original = TableDump.daemon(db());
        long count = daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        Map<String, List<String>> planted = TableDump.daemon(db());
        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, CapturedCommand.of(() -> command.plan("--output", file.toString())).exit(), "exit 1: actions planned");

            // A service's leader holds the lock: nothing acts beside it.
            try (OtherLeader leader = OtherLeader.take()) {
                Snapshot before = Snapshot.now();
                for (String[] args : List.of(new String[] {"apply", "--plan", file.toString()}, new String[] {"recover"},
                        new String[] {"purge"}, new String[] {"restore", "--all"})) {
                    CapturedCommand refused = run(args);
                    assertEquals(2, refused.exit(), String.join(" ", args) + ": " + refused);
                    assertTrue(refused.err().contains(args[0] + ": refused: another reconciler is acting"), refused.err());
                    assertTrue(refused.err().contains("pid " + leader.pid() + " (" + OTHER_LEADER + ")"), refused.err());
                    assertTrue(refused.err().contains("scale it to 0 replicas"), refused.err());
                    assertEquals(before, Snapshot.now(), String.join(" ", args) + " wrote nothing");
                }
                assertFalse(actorLock.held(), "a refused command holds nothing");
                CapturedCommand list = CapturedCommand.of(() -> command.quarantine("list"));
                assertEquals(0, list.exit(), "read-only commands take no lock: " + list);
            }

            // Free: the same commands act, and release the lock when they end.
            CapturedCommand applied = run("apply", "--plan", file.toString());
            assertEquals(0, applied.exit(), applied.toString());
            assertTrue(applied.out().contains("Applied plan"), applied.out());
            assertEquals(count, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", plugin));
            assertEquals(original, TableDump.daemon(db()));
            assertFalse(actorLock.held(), "released when the command ended");

            try (OtherLeader leader = OtherLeader.take()) {
                Snapshot before = Snapshot.now();
                CapturedCommand refused = run("restore", "--all");
                assertEquals(2, refused.exit(), refused.toString());
                assertTrue(refused.err().contains("pid " + leader.pid()), refused.err());
                assertEquals(before, Snapshot.now(), "the refused restore wrote nothing");
                assertEquals(original, TableDump.daemon(db()));
            }
            // This plan's one action, not --all: a class that ran before this one in the same application (a
            // shared profile, docs/development.md) may have left its own actions quarantined.
            JsonNode actions = new ObjectMapper().readTree(file.toFile()).get("actions");
            assertEquals(1, actions.size(), actions.toString());
            CapturedCommand restored = run("restore", "--action", actions.get(0).get("id").asText());
            assertEquals(0, restored.exit(), restored.toString());
            assertEquals(planted, TableDump.daemon(db()), "restored exactly");
            assertEquals(0, run("recover").exit());
            CapturedCommand purged = run("purge");
            assertEquals(0, purged.exit(), purged.toString());
            assertTrue(purged.out().contains("Purged 0 quarantined rows"), purged.out());
            assertFalse(actorLock.held());
        } finally {
            Files.deleteIfExists(file);
            TableDump.undo(db(), TableDump.daemon(db()), original);
        }
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void aCommandsWriteTransactionsAreFencedByItsOwnLockSession() throws Exception {
        try (Connection c = db().connect()) {
            c.setAutoCommit(false);
            assertThrows(SQLException.class, () -> fence.check(c), "no lock taken: no write");
            c.rollback();
            ActorLock.Hold held = actorLock.acquire("apply");
            try {
                fence.check(c); // holding: passes
                c.rollback();
                // While we hold it, a service replica follows and names us.
                try (OtherLeader other = OtherLeader.tryTake()) {
                    assertFalse(other.status().leader());
                    assertTrue(other.status().holder().contains("(dify-plugin-reconciler apply "), other.status().toString());
                }
                ObjectWritesFencedTest.terminateLockSession("apply"); // waits until the backend has exited
                SQLException fenced = assertThrows(SQLException.class, () -> fence.check(c), "the lock session is gone");
                assertTrue(fenced.getMessage().contains("no longer holds advisory lock"), fenced.getMessage());
                c.rollback();
            } finally {
                held.close();
            }
            assertFalse(actorLock.held());
        }
    }

    // --- helpers ---

    /** Another reconciler's leader: the service's own elector, on a connection of its own, as another pod. */
    private record OtherLeader(LeaderElector elector, LeaderStatus status) implements AutoCloseable {

        static OtherLeader take() {
            OtherLeader l = tryTake();
            assertTrue(l.status().leader(), "the other leader took the lock: " + l.status());
            return l;
        }

        static OtherLeader tryTake() {
            LeaderElector e = new LeaderElector(() -> {
                Connection c = db().readerDataSource().getConnection();
                try (Statement s = c.createStatement()) {
                    s.execute("SET application_name = '" + OTHER_LEADER + "'"); // a constant
                }
                return c;
            }, LeaderLockKey.of("plugin_reconciler"), Duration.ofSeconds(5));
            return new OtherLeader(e, e.tick());
        }

        int pid() {
            return elector.lockBackendPid().orElseThrow();
        }

        @Override
        public void close() {
            elector.release();
        }
    }

    /** The daemon's tables, our schema's tables and every stored object's bytes. */
    private record Snapshot(Map<String, List<String>> daemon, Map<String, List<String>> ours, Map<String, String> objects) {

        static Snapshot now() throws Exception {
            Map<String, String> objects = BucketContents.of(DriftedDaemonAccess.storageRoot());
            return new Snapshot(TableDump.daemon(db()), TableDump.of(db(), "plugin_reconciler"), objects);
        }
    }

    private CapturedCommand run(String... args) throws Exception {
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        return CapturedCommand.of(() -> switch (args[0]) {
            case "apply" -> command.apply(rest);
            case "restore" -> command.restore(rest);
            case "recover" -> command.recover(rest);
            case "purge" -> command.purge(rest);
            default -> throw new IllegalArgumentException(args[0]);
        });
    }

}
