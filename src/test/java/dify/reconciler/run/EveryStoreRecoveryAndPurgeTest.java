package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.actor.WriteFence;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.apply.InterruptedObjectActions;
import dify.reconciler.remediate.apply.ObjectRemedyApplier;
import dify.reconciler.remediate.objects.ObjectRecovery;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.planner.RemediationPlanner;
import dify.reconciler.remediate.record.ActionListener;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.WriteTransactions;
import dify.reconciler.state.FindingHistory;
import dify.reconciler.state.MigratedStateSchema;
import dify.reconciler.testhook.TestStepHook;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TableDump;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Crash recovery and purge of object actions on every backend of {@link StoresUnderTest}, in process, with the product's
 * own parts (scan, planner, object applier, recovery, restore, purge) on a real database and the backend's test server.
 * Each object action is interrupted at each of its step boundaries ({@link TestStepHook#interruptAt}: the applier stops
 * there as a killed process would, nothing of it runs after the step); then each planted object is at its key or in
 * quarantine, never neither; recovery rolls the action back or completes it as the step implies, leaving the bucket
 * exactly as before the action or exactly as after it; and restore gives back every object's bytes (on Aliyun under its
 * root, decoys untouched) and leaves every daemon table as planted. The purge deletes the quarantined copies past the
 * retention only, and only marks an object we created. {@code ObjectCrashRecoveryIT} proves the same steps on S3 through
 * the packaged jar with a real kill; this proves each backend's storage answers what recovery reads.
 */
class EveryStoreRecoveryAndPurgeTest {

    private static final String SCHEMA = "plugin_reconciler";
    private static final String QUARANTINE = "reconciler-quarantine/";
    private static final ActionListener NO_COUNTERS = (kind, action, outcome) -> {};

    /** What recovery must do with an action interrupted at a step. */
    enum Recovery {
        /** Nothing was recorded or written yet: nothing to recover. */
        NOTHING,
        ROLLED_BACK,
        COMPLETED
    }

    /** The drift each action remedies. */
    enum Drift {
        /** An uploaded package nobody declared: quarantined (moved under the quarantine prefix). */
        ORPHANED_PACKAGE(FindingKind.PACKAGE_ORPHANED),
        /** A corrupt installed copy: its bytes quarantined, then replaced by the verified package. */
        CORRUPT_INSTALLED_COPY(FindingKind.CHECKSUM_MISMATCH),
        /** A missing asset: re-created from the verified package's {@code _assets/}. */
        MISSING_ASSET(FindingKind.ASSET_MISSING);

        final FindingKind kind;

        Drift(FindingKind kind) {
            this.kind = kind;
        }
    }

    record Interruption(Step step, Drift drift, Recovery recovery) {
    }

    /**
     * Every step boundary of the object actions but {@code quarantine_object:put-back} (reached only when the daemon
     * installs during the move: {@link #interruptedAtThePutBack}), with the recovery it implies.
     */
    private static final List<Interruption> INTERRUPTIONS = List.of(
            new Interruption(Step.QUARANTINE_OBJECT_ROWS_RECHECKED, Drift.ORPHANED_PACKAGE, Recovery.NOTHING),
            new Interruption(Step.QUARANTINE_OBJECT_INTENT_RECORDED, Drift.ORPHANED_PACKAGE, Recovery.ROLLED_BACK),
            new Interruption(Step.QUARANTINE_OBJECT_QUARANTINE_COPIED, Drift.ORPHANED_PACKAGE, Recovery.ROLLED_BACK),
            new Interruption(Step.QUARANTINE_OBJECT_ORIGINAL_DELETED, Drift.ORPHANED_PACKAGE, Recovery.COMPLETED),
            new Interruption(Step.COPY_OBJECT_ROWS_RECHECKED, Drift.CORRUPT_INSTALLED_COPY, Recovery.NOTHING),
            new Interruption(Step.COPY_OBJECT_INTENT_RECORDED, Drift.CORRUPT_INSTALLED_COPY, Recovery.ROLLED_BACK),
            new Interruption(Step.COPY_OBJECT_QUARANTINE_COPIED, Drift.CORRUPT_INSTALLED_COPY, Recovery.ROLLED_BACK),
            new Interruption(Step.COPY_OBJECT_REPLACEMENT_INTENT_RECORDED, Drift.CORRUPT_INSTALLED_COPY, Recovery.ROLLED_BACK),
            new Interruption(Step.COPY_OBJECT_TARGET_REPLACED, Drift.CORRUPT_INSTALLED_COPY, Recovery.COMPLETED),
            new Interruption(Step.COPY_OBJECT_REPLACEMENT_RECORDED, Drift.CORRUPT_INSTALLED_COPY, Recovery.COMPLETED),
            new Interruption(Step.COPY_OBJECT_ASSET_INTENT_RECORDED, Drift.MISSING_ASSET, Recovery.ROLLED_BACK),
            new Interruption(Step.COPY_OBJECT_ASSET_WRITTEN, Drift.MISSING_ASSET, Recovery.COMPLETED));

    /** The list above is every object step but the put-back: a new step fails here until it is added. */
    @Test
    void everyObjectStepBoundaryButThePutBackIsInterrupted() {
        Set<Step> objectSteps = Arrays.stream(Step.values())
                .filter(s -> s.label().startsWith("quarantine_object:") || s.label().startsWith("copy_object:"))
                .filter(s -> s != Step.QUARANTINE_OBJECT_PUT_BACK).collect(Collectors.toSet());
        assertEquals(objectSteps, INTERRUPTIONS.stream().map(Interruption::step).collect(Collectors.toSet()));
    }

    /**
     * The default suite interrupts each step once, on one of the {@link StoresUnderTest#DISTINCT_ADAPTERS} in turn (the
     * i-th interruption on adapter i mod 5), and purges on each of them; the sweep ({@link Sweep}) interrupts every other
     * (backend, step) pair and purges on the other backends. {@code -Dtest.stores} runs every step on the named ones.
     */
    static boolean inDefault(String backend, Interruption interruption) {
        int adapter = StoresUnderTest.DISTINCT_ADAPTERS.indexOf(backend);
        return adapter >= 0 && INTERRUPTIONS.indexOf(interruption) % StoresUnderTest.DISTINCT_ADAPTERS.size() == adapter;
    }

    /** The default split interrupts every step, and recovers (rolls back or completes) something on every adapter. */
    @Test
    void theDefaultSuiteInterruptsEveryStepAndRecoversOnEveryDistinctAdapter() {
        Set<Step> steps = Set.copyOf(INTERRUPTIONS.stream().filter(i -> StoresUnderTest.DISTINCT_ADAPTERS.stream()
                .anyMatch(b -> inDefault(b, i))).map(Interruption::step).toList());
        assertEquals(Set.copyOf(INTERRUPTIONS.stream().map(Interruption::step).toList()), steps);
        for (String adapter : StoresUnderTest.DISTINCT_ADAPTERS) {
            assertTrue(INTERRUPTIONS.stream().anyMatch(i -> inDefault(adapter, i) && i.recovery() != Recovery.NOTHING), adapter);
        }
    }

    /** This run's backends: the distinct adapters by default, every backend in the sweep (each with the other steps). */
    static List<StoresUnderTest.Backend> backends() {
        return Sweep.active() || StoresUnderTest.narrowed() ? StoresUnderTest.every() : StoresUnderTest.all();
    }

    /** One seeded fixture per backend for both halves: seeding is most of the time. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("backends")
    @Tag(Sweep.TAG)
    void interruptedActionsAreRecoveredAndRestoredExactlyAndPurgeDeletesOnlyWhatIsPastTheRetention(StoresUnderTest.Backend backend)
            throws Exception {
        String name = backend.name();
        List<Interruption> interruptions = StoresUnderTest.narrowed()
                ? INTERRUPTIONS
                : Sweep.part(INTERRUPTIONS, i -> inDefault(name, i));
        boolean purge = StoresUnderTest.narrowed() || StoresUnderTest.DISTINCT_ADAPTERS.contains(name) != Sweep.active();
        try (DriftFixture f = new DriftFixture(backend, SchemaFixture.CURRENT, 3)) {
            MigratedStateSchema.migrate(f.db.dataSource(), SCHEMA);
            Map<String, List<String>> tables = TableDump.daemon(f.db);
            interruptedAtEachStep(f, interruptions);
            if (purge) {
                // Once per backend, like the purge: the default suite on the five distinct adapters, the sweep on the rest.
                interruptedAtThePutBack(f);
                purgePastTheRetention(f);
            }
            assertEquals(tables, TableDump.daemon(f.db), backend + ": object actions, recovery, restore and purge change no daemon row");
        }
    }

    /** Each object action interrupted at each of the given steps, recovered, restored. */
    private static void interruptedAtEachStep(DriftFixture f, List<Interruption> interruptions) throws Exception {
        String backend = f.store.storageType();
        Parts parts = new Parts(f, Clock.systemUTC());
        DifyDataset.Plugin corrupt = f.dataset.localPlugin(1);
        DifyDataset.Plugin iconless = f.dataset.localPlugin(2);
        Map<Drift, String> keys = Map.of(Drift.ORPHANED_PACKAGE, f.layout.packages() + DifyDataset.fakeUid("ghost", 1),
                Drift.CORRUPT_INSTALLED_COPY, f.layout.installed() + corrupt.uid(),
                Drift.MISSING_ASSET, f.layout.assets() + iconless.assetId());
        f.put(keys.get(Drift.ORPHANED_PACKAGE), "a package nobody declared".getBytes(StandardCharsets.UTF_8));
        f.put(keys.get(Drift.CORRUPT_INSTALLED_COPY), "not a zip".getBytes(StandardCharsets.UTF_8));
        f.delete(keys.get(Drift.MISSING_ASSET));
        Map<String, String> planted = f.store.contents();

        // What each action leaves when it is done (and what a completed recovery must leave).
        Map<Drift, Map<String, String>> done = Map.of(
                Drift.ORPHANED_PACKAGE, moved(planted, f, keys.get(Drift.ORPHANED_PACKAGE)),
                Drift.CORRUPT_INSTALLED_COPY, replaced(planted, f, keys.get(Drift.CORRUPT_INSTALLED_COPY),
                        planted.get(f.store.storeKey(f.layout.packages() + corrupt.uid()))),
                Drift.MISSING_ASSET, with(planted, f.store.storeKey(keys.get(Drift.MISSING_ASSET)), sha256(iconless.iconBytes())));

        for (Interruption i : interruptions) {
            String what = backend + ", " + i.step().label();
            String key = keys.get(i.drift());
            RemediationPlan plan = parts.plan(i.drift().kind, key);
            String actionId = plan.actions().get(0).id();

            TestStepHook.Interruption interruption = TestStepHook.interruptAt(i.step().label());
            try {
                assertThrows(TestStepHook.Interrupted.class, () -> parts.applier.apply(plan, parts.acting, "interrupted"), what);
            } finally {
                interruption.close();
            }
            Map<String, String> afterCrash = f.store.contents();
            String storeKey = f.store.storeKey(key);
            String quarantineKey = f.store.storeKey(QUARANTINE + key);
            if (planted.get(storeKey) != null) {
                assertTrue(planted.get(storeKey).equals(afterCrash.get(storeKey))
                        || planted.get(storeKey).equals(afterCrash.get(quarantineKey)),
                        what + ": the planted object is at its key or in quarantine after the crash: " + afterCrash);
            }
            assertEquals(0L, parts.count("remediation_actions", actionId), what + ": nothing audited after the step");

            List<InterruptedObjectActions.Recovered> recovered = parts.recovery().recover(parts.acting, "recover");
            Map<String, String> afterRecovery = f.store.contents();
            switch (i.recovery()) {
                case NOTHING -> {
                    assertEquals(List.of(), recovered, what);
                    assertEquals(planted, afterRecovery, what + ": nothing was written");
                }
                case ROLLED_BACK -> {
                    assertEquals(List.of(ObjectRecovery.Verdict.ROLL_BACK), verdicts(recovered, actionId), what + ": " + recovered);
                    assertEquals(planted, afterRecovery, what + ": rolled back to exactly the planted objects");
                }
                case COMPLETED -> {
                    assertEquals(List.of(ObjectRecovery.Verdict.COMPLETE), verdicts(recovered, actionId), what + ": " + recovered);
                    assertEquals(done.get(i.drift()), afterRecovery, what + ": completed to exactly what the action does");
                }
            }
            assertTrue(recovered.stream().allMatch(InterruptedObjectActions.Recovered::done), what + ": " + recovered);
            assertEquals(0L, parts.incomplete(), what + ": nothing is left half done");

            List<ActionResult> restored = parts.quarantine().restore(null, "restore");
            assertTrue(restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), what + ": " + restored);
            assertEquals(planted, f.store.contents(), what + ": restore puts back every object's exact bytes");
        }
    }

    /**
     * {@code quarantine_object:put-back}: the daemon starts an install of an orphaned installed copy's identifier
     * right after we deleted the original, so the applier copies the bytes back to their key; interrupted there, the
     * object is at its key and in quarantine at once; recovery rolls back (our quarantine copy removed, the object at
     * its key with its bytes) and nothing is left to restore.
     */
    private static void interruptedAtThePutBack(DriftFixture f) throws Exception {
        String what = f.store.storageType() + ", " + Step.QUARANTINE_OBJECT_PUT_BACK.label();
        Parts parts = new Parts(f, Clock.systemUTC());
        String uid = DifyDataset.fakeUid("leftover", 1);
        String key = f.layout.installed() + uid;
        f.put(key, "an installed copy nobody uses".getBytes(StandardCharsets.UTF_8));
        Map<String, String> planted = f.store.contents();
        RemediationPlan plan = parts.plan(FindingKind.INSTALLED_OBJECT_ORPHANED, key);
        String actionId = plan.actions().get(0).id();
        DaemonRows daemon = DaemonRows.on(f.db);
        UUID[] task = new UUID[1];
        TestStepHook.Interruption install = TestStepHook.runAt(Step.QUARANTINE_OBJECT_ORIGINAL_DELETED.label(), () -> {
            task[0] = daemon.insertInstallTask("running", UUID.randomUUID(), 1, 0);
            daemon.execute("UPDATE install_tasks SET plugins = ? WHERE id = ?", "[{\"plugin_unique_identifier\":\"" + uid + "\"}]",
                    task[0]);
        });
        TestStepHook.Interruption interruption = TestStepHook.interruptAt(Step.QUARANTINE_OBJECT_PUT_BACK.label());
        try {
            assertThrows(TestStepHook.Interrupted.class, () -> parts.applier.apply(plan, parts.acting, "interrupted"), what);
        } finally {
            interruption.close();
            install.close();
        }
        assertTrue(task[0] != null, what + ": the install started after the delete");
        Map<String, String> halted = f.store.contents();
        String storeKey = f.store.storeKey(key);
        assertEquals(planted.get(storeKey), halted.get(storeKey), what + ": put back at its key");
        assertEquals(planted.get(storeKey), halted.get(f.store.storeKey(QUARANTINE + key)), what + ": and still in quarantine");
        daemon.execute("DELETE FROM install_tasks WHERE id = ?", task[0]); // the install is over before recovery

        List<InterruptedObjectActions.Recovered> recovered = parts.recovery().recover(parts.acting, "recover");
        assertEquals(List.of(ObjectRecovery.Verdict.ROLL_BACK), verdicts(recovered, actionId), what + ": " + recovered);
        assertTrue(recovered.stream().allMatch(InterruptedObjectActions.Recovered::done), what + ": " + recovered);
        assertEquals(planted, f.store.contents(), what + ": rolled back to exactly the planted objects");
        assertEquals(0L, parts.incomplete(), what + ": nothing is left half done");
        assertEquals(List.of(), parts.quarantine().restore(null, "restore"), what + ": nothing left to restore");
        assertEquals(planted, f.store.contents(), what);
        f.delete(key);
    }

    /** Two generations quarantined ten days and one day ago (and an asset re-created): a 7-day retention purges the first. */
    private static void purgePastTheRetention(DriftFixture f) throws Exception {
        String backend = f.store.storageType();
        Instant now = Instant.now();
        Duration retention = Duration.ofDays(7);
        String older = f.layout.packages() + DifyDataset.fakeUid("ghost", 2);
        String younger = f.layout.packages() + DifyDataset.fakeUid("ghost", 3);
        DifyDataset.Plugin iconless = f.dataset.localPlugin(2);
        String asset = f.layout.assets() + iconless.assetId();
        f.put(older, "quarantined ten days ago".getBytes(StandardCharsets.UTF_8));
        f.put(younger, "quarantined yesterday".getBytes(StandardCharsets.UTF_8));
        if (f.store.contents().containsKey(f.store.storeKey(asset))) {
            f.delete(asset);
        }
        Map<String, String> planted = f.store.contents();
        assertTrue(!planted.containsKey(f.store.storeKey(asset)), backend);

        // Quarantined (and created) by real applies whose clock stamps their entries ten days and one day ago.
        Parts tenDaysAgo = new Parts(f, Clock.fixed(now.minus(Duration.ofDays(10)), ZoneOffset.UTC));
        applied(tenDaysAgo, tenDaysAgo.plan(FindingKind.PACKAGE_ORPHANED, older));
        applied(tenDaysAgo, tenDaysAgo.plan(FindingKind.ASSET_MISSING, asset));
        Parts yesterday = new Parts(f, Clock.fixed(now.minus(Duration.ofDays(1)), ZoneOffset.UTC));
        applied(yesterday, yesterday.plan(FindingKind.PACKAGE_ORPHANED, younger));
        Map<String, String> quarantined = f.store.contents();
        assertEquals(planted.get(f.store.storeKey(older)), quarantined.get(f.store.storeKey(QUARANTINE + older)), backend);
        assertEquals(planted.get(f.store.storeKey(younger)), quarantined.get(f.store.storeKey(QUARANTINE + younger)),
                backend);

        Parts today = new Parts(f, Clock.fixed(now, ZoneOffset.UTC));
        assertEquals(2, today.quarantine().purge(now.minus(retention), "purge"), backend + ": the two entries past the retention");
        Map<String, String> purged = new TreeMap<>(quarantined);
        purged.remove(f.store.storeKey(QUARANTINE + older));
        assertEquals(purged, f.store.contents(), backend + ": only the older quarantined copy deleted; the re-created asset stays");
        assertEquals(0, today.quarantine().purge(now.minus(retention), "purge"), backend + ": nothing more past the retention");

        // What is left to restore is the younger entry alone: the purged ones are no longer reversible.
        List<ActionResult> restored = today.quarantine().restore(null, "restore");
        assertEquals(List.of(younger), restored.stream().map(ActionResult::rowId).toList(), backend + ": " + restored);
        Map<String, String> expected = new TreeMap<>(planted);
        expected.remove(f.store.storeKey(older));
        expected.put(f.store.storeKey(asset), sha256(iconless.iconBytes()));
        assertEquals(expected, f.store.contents(), backend + ": the younger package back, the older gone for good, the asset kept");
    }

    private static void applied(Parts parts, RemediationPlan plan) {
        List<ActionResult> results = parts.applier.apply(plan, parts.acting, "applied");
        assertEquals(List.of(ActionOutcome.APPLIED), results.stream().map(ActionResult::outcome).toList(), results.toString());
    }

    /** The product's remediation parts on the fixture's database and store, as {@code RemediationService} wires them. */
    private static final class Parts {
        private final DriftFixture f;
        private final Clock clock;
        private final Acting acting = Tokens.acting();
        private final ObjectRemedyApplier applier;

        Parts(DriftFixture f, Clock clock) throws SQLException {
            this.f = f;
            this.clock = clock;
            DaemonSchema schema;
            try (Connection c = f.db.connect()) {
                schema = DaemonSchema.inspect(c, null, f.db.toString());
            }
            WriteTransactions tx = new WriteTransactions(schema, Duration.ofSeconds(2), Duration.ofSeconds(10), WriteFence.NONE);
            this.applier = new ObjectRemedyApplier(f.db.dataSource(), tx, f.storage, QuarantinePrefix.of(QUARANTINE, f.layout),
                    quarantine(), audit(), NO_COUNTERS);
        }

        ObjectQuarantine quarantine() {
            return new ObjectQuarantine(f.db.dataSource(), f.storage, table("quarantine_objects"), audit(), NO_COUNTERS, clock,
                    WriteFence.NONE);
        }

        InterruptedObjectActions recovery() {
            return new InterruptedObjectActions(f.db.dataSource(), f.storage, quarantine(), audit(), NO_COUNTERS);
        }

        private RemediationAudit audit() {
            return new RemediationAudit(table("remediation_actions"), "test", clock);
        }

        /** A plan with the one action for the finding of {@code kind} at {@code key}, from a fresh deep scan. */
        RemediationPlan plan(FindingKind kind, String key) {
            // Only a checksum needs the bytes read.
            List<Finding> found = f.scan(kind == FindingKind.CHECKSUM_MISMATCH).findings().stream()
                    .filter(x -> x.kind() == kind && key.equals(x.key())).toList();
            assertEquals(1, found.size(), kind + " at " + key);
            RemediationPolicy policy = new RemediationPolicy(true, Set.of(kind), 1, Duration.ZERO, Duration.ZERO, 10, 1.0,
                    Duration.ofHours(1));
            RemediationCandidate candidate = new RemediationCandidate(found.get(0),
                    new FindingHistory(Instant.now().minusSeconds(3600), 1));
            RemediationPlan plan = new RemediationPlanner(policy, f.layout).plan(UUID.randomUUID().toString(), "run", Instant.now(),
                    f.db.toString(), List.of(candidate).iterator(), Map.of(kind, 1000L));
            assertEquals(1, plan.actions().size(), plan.toString());
            return plan;
        }

        long count(String table, String actionId) throws SQLException {
            return query("SELECT count(*) FROM " + table(table) + " WHERE action_id = ?", actionId);
        }

        long incomplete() throws SQLException {
            return query("SELECT count(*) FROM " + table("quarantine_objects")
                    + " WHERE completed_at IS NULL AND restored_at IS NULL AND purged_at IS NULL", null);
        }

        private long query(String sql, String parameter) throws SQLException {
            try (Connection c = f.db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
                if (parameter != null) {
                    ps.setString(1, parameter);
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }

        private static String table(String name) {
            return "\"" + SCHEMA + "\"." + name;
        }
    }

    private static List<ObjectRecovery.Verdict> verdicts(List<InterruptedObjectActions.Recovered> recovered, String actionId) {
        List<ObjectRecovery.Verdict> out = new ArrayList<>();
        for (InterruptedObjectActions.Recovered r : recovered) {
            assertEquals(actionId, r.actionId(), "only the interrupted action is recovered: " + recovered);
            out.add(r.verdict());
        }
        return out;
    }

    /** {@code planted} with {@code key} moved under the quarantine prefix. */
    private static Map<String, String> moved(Map<String, String> planted, DriftFixture f, String key) {
        Map<String, String> out = new TreeMap<>(planted);
        out.put(f.store.storeKey(QUARANTINE + key), out.remove(f.store.storeKey(key)));
        return out;
    }

    /** {@code planted} with the bytes at {@code key} quarantined and replaced by {@code replacement}. */
    private static Map<String, String> replaced(Map<String, String> planted, DriftFixture f, String key, String replacement) {
        Map<String, String> out = new TreeMap<>(planted);
        out.put(f.store.storeKey(QUARANTINE + key), out.put(f.store.storeKey(key), replacement));
        return out;
    }

    private static Map<String, String> with(Map<String, String> planted, String storeKey, String sha256) {
        Map<String, String> out = new TreeMap<>(planted);
        out.put(storeKey, sha256);
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
