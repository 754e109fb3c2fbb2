package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.onlyKind;
import static dify.reconciler.testsupport.DriftedFixture.root;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.apply.InterruptedObjectActions;
import dify.reconciler.remediate.objects.ObjectRecovery;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonInstall;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PausedStep;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's install racing our last-uninstall remedies in the middle of an armed apply, the daemon simulated
 * statement by statement as its database user ({@link DaemonInstall}) while the apply is paused at a named step
 * ({@link PausedStep}) or waits for the daemon's lock. Whoever starts first, the daemon's write wins: our action
 * ends {@code skipped_changed} or {@code failed}, never applied over the install, and the install ends whole (its
 * plugins row, installation and tool row, the declaration it read, and {@code plugin/U} with the package's bytes),
 * with nothing of ours left in the way. An unarmed apply changes nothing first, and after the daemon's install
 * is taken away again every table and every object is as before.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class DaemonInstallRaceTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.TENANT_STORAGE_DRIFT, FindingKind.INSTALLATION_DECLARATION_MISSING,
                FindingKind.DECLARATION_UNREFERENCED, FindingKind.PLUGIN_UNREFERENCED);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final AtomicInteger VERSIONS = new AtomicInteger();
    private static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    Restores restores;

    @TempDir
    Path pauses;

    @AfterEach
    void noPause() {
        PausedStep.clearSystemProperties();
    }

    // --- installed_object_orphaned: plugin/U left by a failed install; the daemon installs the identifier again ---

    @Test
    void anOrphanedCopyTheDaemonReCopiesAfterOurRecheckIsSkippedAsChanged() throws Exception {
        Race race = orphanedCopyRace("quarantine_object:rows-rechecked", true);
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), race.results.toString());
        assertTrue(race.results.get(0).detail().contains("changed since the scan"), race.results.get(0).detail());
        race.assertInstallWholeAndNothingOfOursLeft();
        race.undo();
    }

    @Test
    void anOrphanedCopyMovedWhileTheDaemonInstallsWithoutReCopyingIsPutBack() throws Exception {
        for (String step : List.of("quarantine_object:rows-rechecked", "quarantine_object:quarantine-copied",
                "quarantine_object:original-deleted")) {
            Race race = orphanedCopyRace(step, false);
            assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), step + ": " + race.results);
            assertTrue(race.results.get(0).detail().contains("the daemon installed " + race.install.uid() + " meanwhile"),
                    race.results.get(0).detail());
            assertTrue(race.results.get(0).detail().contains("put back"), race.results.get(0).detail());
            race.assertInstallWholeAndNothingOfOursLeft();
            race.undo();
        }
    }

    @Test
    void anOrphanedCopyTheDaemonWritesAgainAfterOurDeleteIsLeftToTheDaemon() throws Exception {
        Race race = orphanedCopyRace("quarantine_object:original-deleted", true);
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), race.results.toString());
        assertTrue(race.results.get(0).detail().contains("written again by the daemon"), race.results.get(0).detail());
        race.assertInstallWhole();
        // Our moved bytes stay recorded in quarantine (the daemon's copy is never overwritten by a restore).
        String action = race.plan.actions().get(0).id();
        assertEquals(1, remediation.objectQuarantine().pending(action).size());
        List<ActionResult> refused = remediation.objectQuarantine().restore(action, "race");
        assertEquals(List.of(ActionOutcome.RESTORE_REFUSED), refused.stream().map(ActionResult::outcome).toList(), refused.toString());
        assertArrayEquals(race.pkg.bytes(), Files.readAllBytes(race.installed()));
        assertEquals(1, remediation.objectQuarantine().purge(Instant.now().plusSeconds(1)));
        race.undo();
    }

    /**
     * Plants plugin/U (the package's bytes), its package and declaration without a plugins row, plans
     * {@code installed_object_orphaned}, applies armed paused at {@code step} while the daemon creates its install
     * task, re-copies plugin/U (or not) and commits its install transaction.
     */
    private Race orphanedCopyRace(String step, boolean reCopies) throws Exception {
        Race race = new Race(FindingKind.INSTALLED_OBJECT_ORPHANED, false);
        race.applyPausedAt(step, () -> {
            race.install.createTask();
            if (reCopies) {
                race.install.copyInstalledObject();
            }
            race.install.commitInstall();
            race.install.finishTask();
        });
        return race;
    }

    // --- plugin_unreferenced: its rows and plugin/U; the daemon installs the identifier again ---

    @Test
    void whileTheDaemonsInstallHoldsThePluginsRowWeWaitAtMostTheLockTimeoutAndFail() throws Exception {
        Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
        race.install.createTask();
        race.install.copyInstalledObject();
        try (Connection daemonTx = db().connect()) {
            daemonTx.setAutoCommit(false);
            try (PreparedStatement ps = daemonTx.prepareStatement("SELECT id FROM plugins WHERE plugin_unique_identifier = ?"
                    + " FOR UPDATE")) {
                ps.setString(1, race.install.uid());
                ps.executeQuery().close();
            }
            long t0 = System.nanoTime();
            race.results = remediation.applyAll(race.plan, Tokens.mode(race.armed), "race");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of(ActionOutcome.FAILED), race.outcomes(), race.results.toString());
            assertTrue(race.results.get(0).detail().contains("lock_timeout"), race.results.get(0).detail());
            assertTrue(millis < RemediationService.LOCK_TIMEOUT.toMillis() + 1_500, "gave up after the lock timeout: " + millis);
            daemonTx.rollback();
        }
        race.install.commitInstall();
        race.install.finishTask();
        race.assertInstallWholeAndNothingOfOursLeft();
        race.undo();
    }

    @Test
    void whenTheDaemonsInstallCommitsWhileWeWaitForThePluginsRowWeSkip() throws Exception {
        Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
        race.install.createTask();
        race.install.copyInstalledObject();
        CompletableFuture<List<ActionResult>> apply;
        try (Connection daemonTx = db().connect()) {
            daemonTx.setAutoCommit(false);
            try (PreparedStatement ps = daemonTx.prepareStatement("SELECT id FROM plugins WHERE plugin_unique_identifier = ?"
                    + " FOR UPDATE")) {
                ps.setString(1, race.install.uid());
                ps.executeQuery().close();
            }
            apply = CompletableFuture.supplyAsync(() -> race.applyAll());
            awaitOurWait();
            // The rest of the daemon's install transaction, on the locked row; then commit.
            try (PreparedStatement ps = daemonTx.prepareStatement("UPDATE plugins SET refers = refers + 1 WHERE"
                    + " plugin_unique_identifier = ?")) {
                ps.setString(1, race.install.uid());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = daemonTx.prepareStatement("INSERT INTO plugin_installations (id, created_at, updated_at,"
                    + " tenant_id, plugin_id, plugin_unique_identifier, runtime_type, endpoints_setups, endpoints_active, source, meta)"
                    + " VALUES (gen_random_uuid(), now(), now(), gen_random_uuid(), ?, ?, 'local', 0, 0, 'marketplace', '{}')")) {
                ps.setString(1, race.install.pluginId());
                ps.setString(2, race.install.uid());
                ps.executeUpdate();
            }
            daemonTx.commit();
        }
        race.results = apply.get(1, TimeUnit.MINUTES);
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), race.results.toString());
        assertEquals(1L, daemon().queryLong("SELECT refers FROM plugins WHERE plugin_unique_identifier = ?", race.install.uid()));
        assertArrayEquals(race.pkg.bytes(), Files.readAllBytes(race.installed()));
        assertEquals(0L, ourEntries(race.plan));
        daemon().execute("DELETE FROM plugin_installations WHERE plugin_unique_identifier = ?", race.install.uid());
        race.undo();
    }

    @Test
    void anInstallTaskCreatedWhileOurRowsAreLockedMakesUsRollBackAndTheInstallGoesOn() throws Exception {
        Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
        AtomicReference<CompletableFuture<Void>> daemonTx = new AtomicReference<>();
        race.applyPausedAt("quarantine_row:rows-changed", () -> {
            race.install.createTask(); // autocommit: the task table is not ours to lock
            race.install.copyInstalledObject();
            daemonTx.set(race.install.commitInstallInBackground());
            race.install.awaitBlocked(Duration.ofSeconds(10)); // behind our uncommitted delete of its plugins row
        });
        daemonTx.get().get(1, TimeUnit.MINUTES);
        race.install.finishTask();
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), race.results.toString());
        assertTrue(race.results.get(0).detail().contains("install task in flight"), race.results.get(0).detail());
        race.assertInstallWholeAndNothingOfOursLeft();
        assertEquals(1L, daemon().queryLong("SELECT refers FROM plugins WHERE plugin_unique_identifier = ?", race.install.uid()),
                "the planted plugins row, counted up by the install");
        assertEquals(rowIds(race.planted, "plugins", race.install.uid()), rowIds(TableDump.daemon(db()), "plugins",
                race.install.uid()), "the planted plugins row itself: our delete was rolled back, never committed");
        assertEquals(List.of("skipped_changed"), auditOutcomes(race.plan.actions().get(0).id()));
        race.undo();
    }

    @Test
    void anInstallStartedBetweenOurLastLookAndOurCommitGetsTheDeclarationBackAndKeepsPluginU() throws Exception {
        Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
        AtomicReference<CompletableFuture<Void>> daemonTx = new AtomicReference<>();
        race.applyPausedAt("quarantine_row:last-looked", () -> {
            race.install.createTask();
            race.install.copyInstalledObject();
            daemonTx.set(race.install.commitInstallInBackground());
            race.install.awaitBlocked(Duration.ofSeconds(10));
        });
        daemonTx.get().get(1, TimeUnit.MINUTES);
        race.install.finishTask();
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), "no object step after the rows: " + race.results);
        String detail = race.results.get(0).detail();
        assertTrue(detail.contains("the daemon installed " + race.install.uid() + " meanwhile") && detail.contains(
                "put back plugin_declarations"), detail);
        race.assertInstallWholeAndNothingOfOursLeft();
        String action = race.plan.actions().get(0).id();
        assertEquals(List.of("applied", "skipped_changed"), auditOutcomes(action), "both audited under the action's id");
        assertTrue(remediation.restorer().pending(action).isEmpty(), "nothing left that a restore would put in the daemon's way");
        assertTrue(remediation.restorer().restore(action, "race").isEmpty());
        race.undo();
    }

    @Test
    void anyTaskStatusButSuccessOrFailedAndAMissingTaskTableHoldAnOrphanedCopyBack() throws Exception {
        Race race = new Race(FindingKind.INSTALLED_OBJECT_ORPHANED, false);
        race.install.createTask();
        for (String status : List.of("pending", "running", "queued")) {
            daemon().execute("UPDATE install_tasks SET status = ? WHERE plugins LIKE ?", status, "%" + race.install.uid() + "%");
            race.results = race.applyAll();
            assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), status + ": " + race.results);
            assertTrue(race.results.get(0).detail().contains("install task in flight"), race.results.get(0).detail());
        }
        daemon().execute("UPDATE install_tasks SET status = 'failed' WHERE plugins LIKE ?", "%" + race.install.uid() + "%");
        daemon().execute("ALTER TABLE install_tasks RENAME TO install_tasks_away"); // a daemon that never created it
        try {
            race.results = race.applyAll();
        } finally {
            daemon().execute("ALTER TABLE install_tasks_away RENAME TO install_tasks");
        }
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), race.results.toString());
        assertTrue(race.results.get(0).detail().contains("cannot tell"), race.results.get(0).detail());
        assertEquals(race.plantedObjects, BucketContents.of(root()), "plugin/U stays");
        assertEquals(0L, ourEntries(race.plan));

        race.results = race.applyAll(); // the task failed: nothing is installing it
        assertEquals(List.of(ActionOutcome.APPLIED), race.outcomes(), race.results.toString());
        assertFalse(Files.exists(race.installed()));
        List<ActionResult> restored = remediation.objectQuarantine().restore(race.plan.actions().get(0).id(), "race");
        assertEquals(List.of(ActionOutcome.RESTORED), restored.stream().map(ActionResult::outcome).toList(), restored.toString());
        assertEquals(race.plantedObjects, BucketContents.of(root()), "restored byte for byte");
        race.undo();
    }

    @Test
    void anUnreferencedDeclarationRemovedWhileAnInstallStartsComesBackAndTheInstallEndsWhole() throws Exception {
        for (String step : List.of("quarantine_row:rows-changed", "quarantine_row:last-looked")) {
            Race race = new Race(FindingKind.DECLARATION_UNREFERENCED, false);
            race.applyPausedAt(step, () -> race.install.createTask()); // reads the declaration our open tx is removing
            race.install.commitInstall();
            race.install.finishTask();
            assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), race.outcomes(), step + ": " + race.results);
            race.assertInstallWholeAndNothingOfOursLeft();
            race.undo();
        }
    }

    @Test
    void anInstallFromTheDaemonsCacheBetweenOurRowsAndOurObjectStepKeepsPluginUAndGetsTheDeclarationBack() throws Exception {
        for (boolean reCopies : List.of(true, false)) {
            Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
            race.applyPausedAt("plugin_unreferenced:rows-quarantined", () -> {
                race.install.createTask(true); // our rows are committed: only the daemon's cache still has the declaration
                if (reCopies) {
                    race.install.copyInstalledObject();
                }
                race.install.commitInstall();
                race.install.finishTask();
            });
            assertEquals(List.of(ActionOutcome.APPLIED, ActionOutcome.SKIPPED_CHANGED), race.outcomes(),
                    "the rows, then the object step skipped: " + race.results);
            race.assertInstallWholeAndNothingOfOursLeft();
            assertEquals(List.of("applied", "skipped_changed", "skipped_changed"), auditOutcomes(race.plan.actions().get(0).id()),
                    "the rows applied, the object step skipped, the declaration put back");
            race.undo();
        }
    }

    // --- plugin_unreferenced stopped between its two steps (what a kill at plugin_unreferenced:rows-quarantined leaves) ---

    @Test
    void aPluginUnreferencedStoppedBetweenItsRowsAndPluginUIsCompletedByRecoverThenRestoredWhole() throws Exception {
        Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
        String action = race.plan.actions().get(0).id();
        // The rows' step alone, committed: the object step (applyAll's next step) never runs, as after the kill.
        assertEquals(List.of(ActionOutcome.APPLIED), remediation.applier().apply(race.plan, Tokens.acting(race.armed), "killed").stream()
                .map(ActionResult::outcome).toList());
        Map<String, List<String>> rowsQuarantined = TableDump.daemon(db());
        assertTrue(Files.exists(race.installed()), "plugin/U left in place: the runtime would keep running");

        List<InterruptedObjectActions.Recovered> dry = mine(remediation.recoverInterrupted(new Access.DryRun()), action);
        assertEquals(1, dry.size(), dry.toString());
        assertEquals(ObjectRecovery.Verdict.COMPLETE, dry.get(0).verdict());
        assertFalse(dry.get(0).done());
        assertEquals(rowsQuarantined, TableDump.daemon(db()), "an unarmed recover changes no row");
        assertEquals(race.plantedObjects, BucketContents.of(root()), "an unarmed recover changes no object");

        List<InterruptedObjectActions.Recovered> done = mine(remediation.recoverInterrupted(Tokens.acting()), action);
        assertEquals(1, done.size(), done.toString());
        assertTrue(done.get(0).done(), done.toString());
        assertFalse(Files.exists(race.installed()), "plugin/U moved: the runtime stops on every node");
        assertArrayEquals(race.pkg.bytes(), Files.readAllBytes(root().resolve("reconciler-quarantine/plugin")
                .resolve(race.pkg.identifier())), "its bytes in quarantine, under the same action id");
        assertEquals(1, remediation.objectQuarantine().pending(action).size());
        assertEquals(List.of("applied", "applied"), auditOutcomes(action), "the rows, then the object, audited");
        assertEquals(rowsQuarantined, TableDump.daemon(db()), "recover changes no row");
        assertTrue(mine(remediation.recoverInterrupted(Tokens.acting()), action).isEmpty(), "completed once, not again");

        List<ActionResult> restored = restores.restore(Restores.Selection.action(action), Tokens.acting());
        assertTrue(!restored.isEmpty() && restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), restored.toString());
        assertEquals(race.planted, TableDump.daemon(db()), "the rows back exactly");
        assertEquals(race.plantedObjects, BucketContents.of(root()), "plugin/U back byte for byte");
        race.undo();
    }

    @Test
    void recoverLeavesAPluginUWrittenSinceTheRowsStepAndAnInstallInFlightGetsItsDeclarationBack() throws Exception {
        for (boolean rewritten : List.of(true, false)) {
            Race race = new Race(FindingKind.PLUGIN_UNREFERENCED, true);
            String action = race.plan.actions().get(0).id();
            assertEquals(List.of(ActionOutcome.APPLIED),
                    remediation.applier().apply(race.plan, Tokens.acting(race.armed), "killed").stream()
                            .map(ActionResult::outcome).toList());
            Map<String, List<String>> rowsQuarantined = TableDump.daemon(db());
            UUID task = null;
            if (rewritten) {
                Thread.sleep(20);
                writer().put("plugin/" + race.pkg.identifier(), race.pkg.bytes()); // someone's copy, after our rows' commit
            } else {
                task = daemon().insertInstallTask("running", UUID.randomUUID(), 1, 0);
                daemon().execute("UPDATE install_tasks SET plugins = ? WHERE id = ?", "[{\"plugin_unique_identifier\":\""
                        + race.pkg.identifier() + "\"}]", task);
            }
            Map<String, List<String>> before = TableDump.daemon(db());
            assertTrue(mine(remediation.recoverInterrupted(Tokens.acting()), action).isEmpty(), rewritten ? "written since" : "in flight");
            assertEquals(race.plantedObjects, BucketContents.of(root()), "plugin/U stays, nothing in quarantine");
            assertEquals(0, remediation.objectQuarantine().pending(action).size());
            if (rewritten) {
                assertEquals(before, TableDump.daemon(db()), "nothing changed");
                List<ActionResult> restored = restores.restore(Restores.Selection.action(action), Tokens.acting());
                assertTrue(restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), restored.toString());
                assertEquals(race.planted, TableDump.daemon(db()), "the rows back exactly");
            } else {
                // The install in flight (its declaration read from the daemon's cache) gets the declaration back;
                // the plugins row is left for its install to write.
                daemon().execute("DELETE FROM install_tasks WHERE id = ?", task);
                Map<String, List<String>> expected = new TreeMap<>(rowsQuarantined);
                expected.put("plugin_declarations", race.planted.get("plugin_declarations"));
                assertEquals(expected, new TreeMap<>(TableDump.daemon(db())), "the declaration back exactly, nothing else");
                assertEquals(0L, ourEntries(race.plan), "nothing left that a restore would put in the install's way");
            }
            race.undo();
        }
    }

    private static List<InterruptedObjectActions.Recovered> mine(List<InterruptedObjectActions.Recovered> all, String action) {
        return all.stream().filter(r -> r.actionId().equals(action)).toList();
    }

    // --- the race's set-up, checks and undo ---

    /** One planted leftover, its plan, and the daemon's install of it. */
    private final class Race {
        final BuiltPackage pkg;
        final DaemonInstall install;
        final Map<String, List<String>> original;
        final Map<String, String> originalObjects;
        final Map<String, List<String>> planted;
        final Map<String, String> plantedObjects;
        final RemediationPlan plan;
        final RemediationPolicy armed;
        List<ActionResult> results;

        /** @param pluginsRow whether a plugins row (refers 0) is left too: plugin_unreferenced, else installed_object_orphaned */
        Race(FindingKind kind, boolean pluginsRow) throws Exception {
            original = TableDump.daemon(db());
            originalObjects = BucketContents.of(root());
            pkg = DifyPackageBuilder.aPackage().author("langgenius").name("racer").version("0.0." + VERSIONS.incrementAndGet())
                    .build();
            install = new DaemonInstall(db(), writer(), pkg);
            writer().put("plugin_packages/" + pkg.identifier(), pkg.bytes());
            writer().put("plugin/" + pkg.identifier(), pkg.bytes());
            daemon().insertDeclaration(pkg.identifier(), install.pluginId(), "{\"name\":\"racer\"}");
            if (pluginsRow) {
                daemon().insertPlugin(pkg.identifier(), install.pluginId(), 0, "local", null);
            }
            planted = TableDump.daemon(db());
            plantedObjects = BucketContents.of(root());
            plan = remediation.plan(scan(runner), onlyKind(false, kind));
            assertEquals(1, plan.actions().size(), plan.toString());
            assertEquals(kind, plan.actions().get(0).kind());
            assertEquals(pkg.identifier(), plan.actions().get(0).pluginUniqueIdentifier());
            armed = onlyKind(true, kind);

            List<ActionResult> dry = remediation.applyAll(plan, Tokens.mode(onlyKind(false, kind)), "race");
            assertTrue(dry.stream().allMatch(r -> r.outcome() == ActionOutcome.DRY_RUN), dry.toString());
            assertEquals(planted, TableDump.daemon(db()), "an unarmed apply changes no row");
            assertEquals(plantedObjects, BucketContents.of(root()), "an unarmed apply changes no object");
        }

        List<ActionResult> applyAll() {
            try {
                return remediation.applyAll(plan, Tokens.mode(armed), "race");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The armed apply in the background, paused at {@code step} while {@code daemon} acts, then resumed to its end. */
        void applyPausedAt(String step, DaemonActs daemon) throws Exception {
            PausedStep paused = new PausedStep(pauses, step);
            paused.setSystemProperties();
            CompletableFuture<List<ActionResult>> apply = CompletableFuture.supplyAsync(this::applyAll);
            try {
                paused.awaitReached(Duration.ofSeconds(60));
                daemon.act();
            } finally {
                PausedStep.clearSystemProperties();
                paused.resume();
            }
            results = apply.get(1, TimeUnit.MINUTES);
        }

        List<ActionOutcome> outcomes() {
            return results.stream().map(ActionResult::outcome).toList();
        }

        Path installed() {
            return root().resolve("plugin").resolve(pkg.identifier());
        }

        /** The daemon's install as it would be without us: its rows, the declaration it read, plugin/U. */
        void assertInstallWhole() throws Exception {
            String uid = pkg.identifier();
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugins WHERE plugin_unique_identifier = ? AND refers = 1", uid),
                    "one plugins row, counting the installation");
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE plugin_unique_identifier = ?", uid));
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM tool_installations WHERE plugin_unique_identifier = ?", uid));
            List<String> declarations = rowsOf(TableDump.daemon(db()), "plugin_declarations", uid);
            assertEquals(rowsOf(planted, "plugin_declarations", uid), declarations, "the declaration, exactly as planted");
            assertArrayEquals(pkg.bytes(), Files.readAllBytes(installed()), "plugin/U holds the package's bytes");
        }

        /** The install whole; no quarantined row or object of the action pending; every other row and object untouched. */
        void assertInstallWholeAndNothingOfOursLeft() throws Exception {
            assertInstallWhole();
            assertEquals(0L, ourEntries(plan), "nothing of ours left in quarantine");
            Map<String, String> objects = BucketContents.of(root());
            assertEquals(plantedObjects, objects, "every object as planted (plugin/U the package's bytes), no quarantine copy");
            Map<String, List<String>> now = TableDump.daemon(db());
            Set<String> daemonRows = new HashSet<>();
            install.inserted().forEach(r -> daemonRows.add(r[1]));
            for (String table : planted.keySet()) {
                List<String> before = planted.get(table).stream().filter(r -> !"plugins".equals(table) || !r.contains(pkg.identifier()))
                        .toList();
                List<String> after = now.get(table).stream().filter(r -> daemonRows.stream().noneMatch(r::contains))
                        .filter(r -> !"plugins".equals(table) || !r.contains(pkg.identifier())).toList();
                assertEquals(before, after, "the rows of " + table + " besides the daemon's install are as planted");
            }
        }

        /** Takes the daemon's install and the plant away: every table and object as before the test. */
        void undo() throws Exception {
            for (String[] r : install.inserted()) {
                daemon().execute("DELETE FROM " + r[0] + " WHERE id = ?::uuid", r[1]);
            }
            for (String table : List.of("plugins", "plugin_declarations", "plugin_installations", "tool_installations")) {
                daemon().execute("DELETE FROM " + table + " WHERE plugin_unique_identifier = ?", pkg.identifier());
            }
            Files.deleteIfExists(installed());
            Files.deleteIfExists(root().resolve("plugin_packages").resolve(pkg.identifier()));
            assertEquals(original, TableDump.daemon(db()), "every table as before the test");
            assertEquals(originalObjects, BucketContents.of(root()), "every object as before the test");
        }
    }

    @FunctionalInterface
    private interface DaemonActs {
        void act() throws Exception;
    }

    private static List<String> rowIds(Map<String, List<String>> dump, String table, String uid) {
        List<String> ids = new ArrayList<>();
        for (String row : rowsOf(dump, table, uid)) {
            try {
                ids.add(JSON.readTree(row).get("id").asText());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return ids;
    }

    private static List<String> rowsOf(Map<String, List<String>> dump, String table, String uid) {
        return dump.get(table).stream().filter(r -> r.contains(uid)).toList();
    }

    /** Our rows and objects of the plan's actions still in quarantine (not restored or settled). */
    private long ourEntries(RemediationPlan plan) {
        return daemon().queryLong("SELECT (SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE action_id LIKE ? AND"
                + " restored_at IS NULL) + (SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE action_id LIKE ? AND"
                + " restored_at IS NULL AND purged_at IS NULL)", plan.planId() + "/%", plan.planId() + "/%");
    }

    private List<String> auditOutcomes(String actionId) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db().connect();
                PreparedStatement ps = c.prepareStatement("SELECT outcome FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                        + " AND outcome <> 'planned' ORDER BY seq")) {
            ps.setString(1, actionId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** Until our apply's transaction waits for a lock the daemon holds. */
    private static void awaitOurWait() throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (daemon().queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND"
                    + " wait_event_type = 'Lock'") > 0) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("our apply never waited for the daemon's lock");
    }

    private static LocalObjectWriter writer() {
        return new LocalObjectWriter(root());
    }

}
