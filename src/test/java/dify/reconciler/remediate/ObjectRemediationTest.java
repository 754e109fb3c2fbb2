package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.objects;
import static dify.reconciler.testsupport.DriftedFixture.onlyKind;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every object remedy against the real database and a real local storage folder: plant one drift, scan, plan
 * (nothing changes: every daemon table and every object's bytes), apply unarmed (nothing changes), apply armed
 * (the finding is gone on the next scan, no finding got worse, every object not targeted is byte-identical and
 * the daemon's tables are untouched), restore (every object's bytes and every table equal what was there
 * before). Also: an object changed between plan and apply is skipped, a target that appeared is not overwritten.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class ObjectRemediationTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.INVALID_INSTALLED_KEY, FindingKind.INSTALLED_OBJECT_ORPHANED, FindingKind.PACKAGE_ORPHANED,
                FindingKind.ASSET_ORPHANED, FindingKind.INSTALLED_OBJECT_MISSING, FindingKind.PACKAGE_MISSING,
                FindingKind.CHECKSUM_MISMATCH, FindingKind.INSTALLED_COPY_DIFFERS);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final String QUARANTINE = "reconciler-quarantine/";
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    ObjectMapper mapper;

    @Test
    void invalidInstalledKeyIsQuarantinedThenRestored() throws Exception {
        String key = "plugin/langgenius/broken_0.0.1@abc";
        quarantineRoundTrip(FindingKind.INVALID_INSTALLED_KEY, key, "not an identifier".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void orphanedInstalledObjectIsQuarantinedThenRestored() throws Exception {
        quarantineRoundTrip(FindingKind.INSTALLED_OBJECT_ORPHANED, "plugin/" + DifyDataset.fakeUid("ghost", 1),
                "an installed copy nobody uses".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void orphanedPackageIsQuarantinedThenRestored() throws Exception {
        quarantineRoundTrip(FindingKind.PACKAGE_ORPHANED, "plugin_packages/" + DifyDataset.fakeUid("ghost", 2),
                "a package without declaration".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void orphanedAssetIsQuarantinedThenRestored() throws Exception {
        byte[] icon = "<svg>ghost</svg>".getBytes(StandardCharsets.UTF_8);
        quarantineRoundTrip(FindingKind.ASSET_ORPHANED, "assets/" + BuiltPackage.assetId("ghost.svg", icon), icon);
    }

    @Test
    void missingPackageIsCopiedFromTheVerifiedInstalledCopyThenRemovedByRestore() throws Exception {
        // The dataset's own drift: local plugin 0 lost its package; its installed copy is intact.
        String uid = dataset().localPlugin(0).uid();
        roundTrip(FindingKind.PACKAGE_MISSING, () -> {}, () -> {}, "plugin/" + uid, "plugin_packages/" + uid);
    }

    @Test
    void missingInstalledCopyIsCopiedFromTheVerifiedPackageThenRemovedByRestore() throws Exception {
        DifyDataset.Plugin p = dataset().localPlugin(1);
        String installed = p.pkg().key(LAYOUT.installed());
        roundTrip(FindingKind.INSTALLED_OBJECT_MISSING, () -> delete(installed), () -> writer().put(installed, p.pkg().bytes()),
                p.pkg().key(LAYOUT.packages()), installed);
    }

    @Test
    void corruptInstalledCopyIsQuarantinedAndReplacedByTheVerifiedPackageThenRestored() throws Exception {
        DifyDataset.Plugin p = dataset().localPlugin(2);
        String installed = p.pkg().key(LAYOUT.installed());
        roundTrip(FindingKind.CHECKSUM_MISMATCH, () -> writer().put(installed, "not a zip".getBytes(StandardCharsets.UTF_8)),
                () -> writer().put(installed, p.pkg().bytes()), p.pkg().key(LAYOUT.packages()), installed);
    }

    @Test
    void corruptPackageIsQuarantinedAndReplacedByTheVerifiedInstalledCopyThenRestored() throws Exception {
        DifyDataset.Plugin p = dataset().localPlugin(2);
        String pkg = p.pkg().key(LAYOUT.packages());
        roundTrip(FindingKind.CHECKSUM_MISMATCH, () -> writer().put(pkg, "truncated".getBytes(StandardCharsets.UTF_8)),
                () -> writer().put(pkg, p.pkg().bytes()), p.pkg().key(LAYOUT.installed()), pkg);
    }

    @Test
    void installedCopyThatDiffersFromItsPackageIsReplacedThenRestored() throws Exception {
        DifyDataset.Plugin p = dataset().localPlugin(2);
        String installed = p.pkg().key(LAYOUT.installed());
        // The same entries (same identifier) with a zip comment: other bytes, not another package.
        roundTrip(FindingKind.INSTALLED_COPY_DIFFERS, () -> writer().put(installed, withZipComment(p.pkg().bytes(), "re-zipped")),
                () -> writer().put(installed, p.pkg().bytes()), p.pkg().key(LAYOUT.packages()), installed);
    }

    /** The zip with a comment in its end-of-central-directory record (which ends the file when it has none). */
    private static byte[] withZipComment(byte[] zip, String comment) {
        byte[] text = comment.getBytes(StandardCharsets.UTF_8);
        assertEquals(0, zip[zip.length - 2] | zip[zip.length - 1], "the package has no comment yet");
        byte[] out = java.util.Arrays.copyOf(zip, zip.length + text.length);
        out[zip.length - 2] = (byte) text.length;
        out[zip.length - 1] = 0;
        System.arraycopy(text, 0, out, zip.length, text.length);
        return out;
    }

    @Test
    void missingAssetIsRecreatedFromTheVerifiedPackageThenRemovedByRestore() throws Exception {
        DifyDataset.Plugin p = dataset().localPlugin(1);
        String asset = LAYOUT.assets() + p.assetId();
        roundTrip(FindingKind.ASSET_MISSING, () -> delete(asset), () -> writer().put(asset, p.iconBytes()),
                p.pkg().key(LAYOUT.packages()), asset, sha256(p.iconBytes()));
    }

    @Test
    void anObjectChangedBetweenPlanAndApplyIsSkippedNotForced() throws Exception {
        Map<String, String> original = objects();
        String key = "plugin_packages/" + DifyDataset.fakeUid("ghost", 3);
        writer().put(key, "observed".getBytes(StandardCharsets.UTF_8));
        RemediationPlan plan = remediation.plan(scan(runner), onlyKind(false, FindingKind.PACKAGE_ORPHANED));
        assertEquals(1, plan.actions().size(), plan.toString());

        writer().put(key, "rewritten by someone since the scan".getBytes(StandardCharsets.UTF_8));
        Map<String, String> changed = objects();
        List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, FindingKind.PACKAGE_ORPHANED)),
                "test");
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), outcomes(results), results.toString());
        assertTrue(results.get(0).detail().contains("changed since the scan"), results.get(0).detail());
        assertEquals(changed, objects(), "nothing was forced, nothing quarantined");
        assertEquals(0L, quarantineEntries(plan));
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE plan_id = ?"
                + " AND outcome = 'skipped_changed' AND object_key = ?", plan.planId(), key));

        delete(key);
        assertEquals(original, objects());
    }

    @Test
    void aCopyTargetThatAppearedSinceThePlanIsNotOverwritten() throws Exception {
        String uid = dataset().localPlugin(0).uid();
        String target = "plugin_packages/" + uid;
        RemediationPlan plan = remediation.plan(scan(runner), onlyKind(false, FindingKind.PACKAGE_MISSING));
        assertEquals(1, plan.actions().size(), plan.toString());

        writer().put(target, "uploaded again meanwhile".getBytes(StandardCharsets.UTF_8));
        Map<String, String> appeared = objects();
        List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, FindingKind.PACKAGE_MISSING)),
                "test");
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), outcomes(results), results.toString());
        assertTrue(results.get(0).detail().contains("exists now"), results.get(0).detail());
        assertEquals(appeared, objects());
        delete(target);
    }

    @Test
    void restoreRefusesToOverwriteADifferentObjectAndToDeleteACopyChangedSince() throws Exception {
        Map<String, String> original = objects();
        String key = "plugin/" + DifyDataset.fakeUid("ghost", 5);
        writer().put(key, "quarantined".getBytes(StandardCharsets.UTF_8));
        Map<String, String> planted = objects();
        RemediationPlan plan = remediation.plan(scan(runner), onlyKind(false, FindingKind.INSTALLED_OBJECT_ORPHANED));
        String action = plan.actions().get(0).id();
        assertEquals(List.of(ActionOutcome.APPLIED),
                outcomes(remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, FindingKind.INSTALLED_OBJECT_ORPHANED)),
                        "test")));

        // Someone put another object at that key since.
        writer().put(key, "someone else's object".getBytes(StandardCharsets.UTF_8));
        Map<String, String> occupied = objects();
        List<ActionResult> refused = remediation.objectQuarantine().restore(action, "test");
        assertEquals(List.of(ActionOutcome.RESTORE_REFUSED), outcomes(refused), refused.toString());
        assertEquals(occupied, objects(), "nothing overwritten, the quarantined copy kept");
        assertEquals(1, remediation.objectQuarantine().pending(action).size());

        delete(key);
        assertEquals(List.of(ActionOutcome.RESTORED), outcomes(remediation.objectQuarantine().restore(action, "test")));
        assertEquals(planted, objects());
        delete(key);

        // A copy we created and someone changed afterwards is not deleted by restore.
        DifyDataset.Plugin p = dataset().localPlugin(0);
        RemediationPlan copy = remediation.plan(scan(runner), onlyKind(false, FindingKind.PACKAGE_MISSING));
        assertEquals(List.of(ActionOutcome.APPLIED),
                outcomes(remediation.objectApplier().apply(copy, Tokens.acting(onlyKind(true, FindingKind.PACKAGE_MISSING)), "test")));
        String created = p.pkg().key(LAYOUT.packages());
        writer().put(created, "re-uploaded, different".getBytes(StandardCharsets.UTF_8));
        Map<String, String> changed = objects();
        String copyAction = copy.actions().get(0).id();
        assertEquals(List.of(ActionOutcome.RESTORE_REFUSED), outcomes(remediation.objectQuarantine().restore(copyAction, "test")));
        assertEquals(changed, objects());
        delete(created);
        assertEquals(List.of(ActionOutcome.RESTORED), outcomes(remediation.objectQuarantine().restore(copyAction, "test")),
                "gone already: nothing left to remove");
        assertEquals(original, objects());
    }

    @Test
    void purgeDeletesQuarantinedCopiesPastRetentionOnly() throws Exception {
        Map<String, String> original = objects();
        String key = "plugin_packages/" + DifyDataset.fakeUid("ghost", 4);
        writer().put(key, "to be purged".getBytes(StandardCharsets.UTF_8));
        RemediationPlan plan = remediation.plan(scan(runner), onlyKind(false, FindingKind.PACKAGE_ORPHANED));
        assertEquals(List.of(ActionOutcome.APPLIED),
                outcomes(remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, FindingKind.PACKAGE_ORPHANED)), "test")));
        Map<String, String> quarantined = objects();
        assertTrue(quarantined.containsKey(QUARANTINE + key), quarantined.toString());

        ObjectQuarantine q = remediation.objectQuarantine();
        assertEquals(0L, q.purgeable(java.time.Instant.now().minus(Duration.ofHours(1))));
        assertEquals(1L, q.purgeable(java.time.Instant.now().plusSeconds(1)));
        assertEquals(0, q.purge(java.time.Instant.now().minus(Duration.ofHours(1))), "younger than the retention: kept");
        assertEquals(quarantined, objects());
        assertEquals(1, q.purge(java.time.Instant.now().plusSeconds(1)));
        assertEquals(original, objects(), "the quarantined copy is gone, nothing else");
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE action_id = ?"
                + " AND purged_at IS NOT NULL", plan.actions().get(0).id()));
        assertTrue(q.pending(plan.actions().get(0).id()).isEmpty(), "a purged action cannot be restored");
        assertTrue(q.restore(plan.actions().get(0).id(), "test").isEmpty());
        assertEquals(original, objects());
    }

    // --- round trips ---

    private void quarantineRoundTrip(FindingKind kind, String key, byte[] content) throws Exception {
        roundTrip(kind, () -> writer().put(key, content), () -> delete(key), key, null);
    }

    /**
     * @param key       what the action names: the object quarantined, or the copy's source
     * @param targetKey the copy's target, null for a quarantine
     */
    private void roundTrip(FindingKind kind, Runnable plant, Runnable unplant, String key, String targetKey) throws Exception {
        roundTrip(kind, plant, unplant, key, targetKey, null);
    }

    /** @param targetHash the SHA-256 the target has after apply; null: the source's */
    private void roundTrip(FindingKind kind, Runnable plant, Runnable unplant, String key, String targetKey, String targetHash)
            throws Exception {
        Map<String, List<String>> tables = TableDump.daemon(db());
        Map<String, String> original = objects();
        ScanReport clean = scan(runner);
        plant.run();
        Map<String, String> planted = objects();
        ScanReport drifted = scan(runner);
        assertEquals(1L, drifted.summary().byKind().get(kind), drifted.findings().toString());

        Path file = Files.createTempFile("plan", ".json");
        try {
            // plan, written and read back as apply reads it
            RemediationPlan made = remediation.plan(drifted, onlyKind(false, kind));
            mapper.writeValue(file.toFile(), PlanDocument.of(made));
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan(LAYOUT);
            assertEquals(1, plan.actions().size(), plan.toString());
            PlannedAction action = plan.actions().get(0);
            assertEquals(kind, action.kind());
            assertEquals(targetKey == null ? RemedyAction.QUARANTINE_OBJECT : RemedyAction.COPY_OBJECT, action.action());
            assertEquals(key, action.key());
            assertEquals(targetKey, action.targetKey());
            assertEquals(planted, objects(), "plan changes no object");
            assertEquals(tables, TableDump.daemon(db()), "plan changes no row");

            // apply, not armed (the configured dry-run is true): exit 0, nothing written
            assertEquals(0, command.apply("--plan", file.toString()));
            assertEquals(planted, objects(), "an unarmed apply changes nothing");
            assertEquals(0L, quarantineEntries(plan));

            // apply, armed
            List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, kind)), "test");
            assertEquals(List.of(ActionOutcome.APPLIED), outcomes(results), results.toString());
            Map<String, String> expected = new TreeMap<>(planted);
            if (targetKey == null) {
                expected.put(QUARANTINE + key, expected.remove(key));
            } else {
                if (planted.containsKey(targetKey)) {
                    expected.put(QUARANTINE + targetKey, planted.get(targetKey)); // replaced: old bytes kept first
                }
                expected.put(targetKey, targetHash != null ? targetHash : planted.get(key));
            }
            assertEquals(expected, objects(), "only the target changed; a quarantined object's bytes are under the prefix");
            assertEquals(tables, TableDump.daemon(db()), "object remedies change no row");
            assertEquals(targetKey != null && planted.containsKey(targetKey) ? 2L : 1L, quarantineEntries(plan));
            ScanReport after = scan(runner);
            assertEquals(0L, after.summary().byKind().get(kind), after.findings().toString());
            for (FindingKind k : FindingKind.values()) {
                assertTrue(after.summary().byKind().get(k) <= clean.summary().byKind().get(k),
                        "no finding appeared (the quarantine prefix is not drift): " + k + " in " + after.findings());
            }
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                    + " AND outcome = 'applied'", action.id()));

            // the same plan again finds its subject changed
            assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED),
                    outcomes(remediation.objectApplier().apply(plan, Tokens.acting(onlyKind(true, kind)), "test")));
            assertEquals(expected, objects());

            // restore: every object as it was before apply
            List<ActionResult> restored = remediation.objectQuarantine().restore(action.id(), "test");
            // a replace restores in reverse: our copy removed, then the old bytes copied back
            assertEquals(targetKey != null && planted.containsKey(targetKey)
                    ? List.of(ActionOutcome.RESTORED, ActionOutcome.RESTORED)
                    : List.of(ActionOutcome.RESTORED), outcomes(restored), restored.toString());
            assertEquals(planted, objects(), "restore puts back exactly the bytes that were there");
            assertEquals(tables, TableDump.daemon(db()));
            assertTrue(remediation.objectQuarantine().pending(action.id()).isEmpty());
        } finally {
            Files.deleteIfExists(file);
        }
        unplant.run();
        assertEquals(original, objects());
        assertEquals(tables, TableDump.daemon(db()));
    }

    // --- helpers ---

    private static List<ActionOutcome> outcomes(List<ActionResult> results) {
        return results.stream().map(ActionResult::outcome).toList();
    }

    private long quarantineEntries(RemediationPlan plan) {
        return daemon().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE action_id LIKE ?"
                + " AND restored_at IS NULL", plan.planId() + "/%");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static LocalObjectWriter writer() {
        return new LocalObjectWriter(DriftedDaemonAccess.storageRoot());
    }

    private static void delete(String key) {
        try {
            Files.delete(DriftedDaemonAccess.storageRoot().resolve(key));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static DifyDataset dataset() {
        return DriftedDaemonAccess.dataset();
    }

}
