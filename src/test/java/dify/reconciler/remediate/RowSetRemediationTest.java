package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.armed;
import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.quarantinedRows;
import static dify.reconciler.testsupport.DriftedFixture.queryText;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The remedies that change the rows the daemon changes together (an uninstall's installation, category row and
 * refers; the last uninstall's plugins row, declaration and serverless row), an unreferenced declaration, and a
 * tenant's recorded storage size, against the real database and local storage: plant the drift on the clean
 * dataset, plan (nothing changes), apply unarmed (nothing changes), apply armed (the finding is gone, no critical
 * appeared, every row the action did not name is identical), restore (every table as before, column by column).
 * Also: a target changed between plan and apply is skipped, an action's rows are restored all or none.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class RowSetRemediationTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.TENANT_STORAGE_DRIFT, FindingKind.INSTALLATION_DECLARATION_MISSING,
                FindingKind.DECLARATION_UNREFERENCED, FindingKind.PLUGIN_UNREFERENCED);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final String GHOST = DifyDataset.fakeUid("ghost", 1);
    private static final String UNUSED = DifyDataset.fakeUid("unused", 2);
    private static final String LAMBDA = DifyDataset.fakeUid("lambda", 3);

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    ObjectMapper mapper;

    @Inject
    Restores restores;

    @Test
    void tenantStorageSizeIsSetToTheMeasuredBytesThenRestored() throws Exception {
        String row = queryText("SELECT id::text FROM tenant_storages LIMIT 1");
        long measured = daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", row);
        PlannedAction action = roundTrip(FindingKind.TENANT_STORAGE_DRIFT,
                () -> daemon().execute("UPDATE tenant_storages SET size = 5 WHERE id = ?::uuid", row), Map.of(), applied -> {
                    assertEquals(measured, daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", row));
                });
        assertEquals(row, action.rowId());
        assertEquals(RemedyAction.UPDATE_ROW, action.action());
        assertEquals(5L, action.observedValue(), "the value the scan read, from the plan file");
        assertEquals(measured, action.targetValue(), "the bytes the scan measured, from the plan file");
    }

    @Test
    void installationWithoutDeclarationIsUninstalledForItsTenantWithItsCategoryRowAndRefersThenRestored() throws Exception {
        UUID tenant = UUID.randomUUID();
        String[] ids = new String[2];
        roundTrip(FindingKind.INSTALLATION_DECLARATION_MISSING, () -> {
            plantGhostInstallation(tenant, ids);
            // The plugins row stays with refers 0 (its removal is plugin_unreferenced's step); the planted ghost
            // never had plugin/U, which the uninstall of one tenant does not change.
        }, Map.of(FindingKind.PLUGIN_UNREFERENCED, 1L, FindingKind.INSTALLED_OBJECT_MISSING, 1L), applied -> {
            assertEquals(0L, daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE id = ?::uuid", ids[0]));
            assertEquals(0L, daemon().queryLong("SELECT count(*) FROM tool_installations WHERE id = ?::uuid", ids[1]));
            assertEquals(0L, daemon().queryLong("SELECT refers FROM plugins WHERE plugin_unique_identifier = ?", GHOST),
                    "refers is the count left, as the daemon's uninstall leaves it");
            assertEquals(3L, applied, "installation, category row and the plugins row's refers");
        });
        undoGhost();
    }

    @Test
    void unreferencedDeclarationIsQuarantinedThenRestored() throws Exception {
        roundTrip(FindingKind.DECLARATION_UNREFERENCED, () -> daemon().insertDeclaration(UNUSED, "langgenius/unused",
                "{\"name\":\"unused\"}"), Map.of(), applied -> {
                    assertEquals(0L, daemon().queryLong("SELECT count(*) FROM plugin_declarations WHERE plugin_unique_identifier = ?",
                            UNUSED));
                    assertEquals(1L, applied);
                });
    }

    @Test
    void anUnreferencedDeclarationWaitsUntilItsPackageIsOlderThanMinAgeInfo() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        // Declared a month ago; its package was uploaded again just now (Dify re-uploads before an install).
        daemon().insertDeclaration(UNUSED, "langgenius/unused", "{\"name\":\"unused\"}", Instant.now().minus(Duration.ofDays(30)));
        Path pkg = Path.of(ConfigProvider.getConfig().getValue("PLUGIN_STORAGE_LOCAL_ROOT", String.class), "plugin_packages",
                UNUSED);
        Files.createDirectories(pkg.getParent());
        Files.write(pkg, new byte[] {1, 2, 3});
        try {
            RemediationPolicy p = remediation.policy();
            RemediationPolicy hourInfo = new RemediationPolicy(false, p.allowed(), 1, p.minAge(), Duration.ofHours(1),
                    p.maxActionsPerRun(), p.maxShare(), p.planTtl());
            RemediationPlan fresh = remediation.plan(scan(runner), hourInfo);
            assertTrue(fresh.actions().isEmpty(), fresh.toString());
            assertEquals(List.of(WithheldReason.TOO_YOUNG), fresh.withheld().stream()
                    .filter(w -> w.kind() == FindingKind.DECLARATION_UNREFERENCED).map(WithheldItem::reason).toList());

            // The ledger's first sighting guards as for every kind: both must be older than min-age-info.
            daemon().execute("UPDATE plugin_reconciler.finding_ledger SET first_seen = first_seen - interval '2 hours'"
                    + " WHERE kind = 'declaration_unreferenced' AND closed_at IS NULL");
            RemediationPlan stillFresh = remediation.plan(scan(runner), hourInfo);
            assertTrue(stillFresh.actions().isEmpty(), "the package is still an hour young: " + stillFresh);
            Files.setLastModifiedTime(pkg, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
            RemediationPlan settled = remediation.plan(scan(runner), hourInfo);
            assertEquals(List.of(FindingKind.DECLARATION_UNREFERENCED), settled.actions().stream().map(PlannedAction::kind).toList());
        } finally {
            Files.delete(pkg);
            daemon().execute("DELETE FROM plugin_declarations WHERE plugin_unique_identifier = ?", UNUSED);
        }
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void unreferencedPluginIsQuarantinedWithItsDeclarationAndServerlessRowThenRestored() throws Exception {
        PlannedAction action = roundTrip(FindingKind.PLUGIN_UNREFERENCED, this::plantUnreferencedServerlessPlugin, Map.of(),
                applied -> {
                    for (String table : List.of("plugins", "plugin_declarations", "serverless_runtimes")) {
                        assertEquals(0L, daemon().queryLong("SELECT count(*) FROM " + table + " WHERE plugin_unique_identifier = ?",
                                LAMBDA), table);
                    }
                    assertEquals(3L, applied, "one transaction, three rows, one action id");
                });
        assertTrue(action.detail().contains("installed_object_orphaned"), action.detail());
    }

    @Test
    void anUnreferencedLocalPluginLosesItsInstalledCopyInTheSameActionAndRestoreBringsBothBack() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        BuiltPackage pkg = DifyPackageBuilder.aPackage().author("langgenius").name("leftover").version("0.0.1").build();
        String uid = pkg.identifier();
        Path root = DriftedDaemonAccess.storageRoot();
        Path installed = root.resolve("plugin").resolve(uid);
        Path quarantined = root.resolve("reconciler-quarantine/plugin").resolve(uid);
        new LocalObjectWriter(root).put("plugin/" + uid, pkg.bytes());
        daemon().insertDeclaration(uid, "langgenius/leftover", "{\"name\":\"leftover\"}");
        daemon().insertPlugin(uid, "langgenius/leftover", 0, "local", null);
        Map<String, List<String>> planted = TableDump.daemon(db());
        try {
            RemediationPlan plan = remediation.plan(scan(runner));
            List<PlannedAction> actions = plan.actions().stream().filter(a -> uid.equals(a.pluginUniqueIdentifier())).toList();
            assertEquals(1, actions.size(), plan.toString());
            assertEquals(FindingKind.PLUGIN_UNREFERENCED, actions.get(0).kind());

            List<ActionResult> results = remediation.applyAll(plan, Tokens.mode(armed(remediation)), "test");
            List<ActionResult> mine = results.stream().filter(r -> r.actionId().equals(actions.get(0).id())).toList();
            assertEquals(List.of(ActionOutcome.APPLIED, ActionOutcome.APPLIED), mine.stream().map(ActionResult::outcome).toList(),
                    "the rows, then the installed copy, under one action id: " + mine);
            assertEquals(0L, daemon().queryLong("SELECT count(*) FROM plugins WHERE plugin_unique_identifier = ?", uid));
            assertFalse(Files.exists(installed), "plugin/U is gone: the runtime stops on every node");
            assertArrayEquals(pkg.bytes(), Files.readAllBytes(quarantined), "its bytes are in quarantine");
            ScanReport after = scan(runner);
            assertEquals(0L, after.summary().byKind().getOrDefault(FindingKind.PLUGIN_UNREFERENCED, 0L), after.findings().toString());
            assertEquals(0L, after.summary().byKind().getOrDefault(FindingKind.INSTALLED_OBJECT_ORPHANED, 0L),
                    after.findings().toString());

            List<ActionResult> restored = restores.restore(Restores.Selection.action(actions.get(0).id()), Tokens.acting());
            assertTrue(restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), restored.toString());
            assertEquals(planted, TableDump.daemon(db()), "the rows are back exactly");
            assertArrayEquals(pkg.bytes(), Files.readAllBytes(installed), "plugin/U is back, byte for byte");
        } finally {
            daemon().execute("DELETE FROM plugins WHERE plugin_unique_identifier = ?", uid);
            daemon().execute("DELETE FROM plugin_declarations WHERE plugin_unique_identifier = ?", uid);
            Files.deleteIfExists(installed);
            Files.deleteIfExists(quarantined);
        }
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void targetsChangedBetweenPlanAndApplyAreSkippedNotForced() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String storage = queryText("SELECT id::text FROM tenant_storages LIMIT 1");
        long size = daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", storage);
        daemon().execute("UPDATE tenant_storages SET size = 5 WHERE id = ?::uuid", storage);
        UUID tenant = UUID.randomUUID();
        plantGhostInstallation(tenant, new String[2]);
        daemon().insertDeclaration(UNUSED, "langgenius/unused", "{\"name\":\"unused\"}");
        plantUnreferencedServerlessPlugin();
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(4, plan.actions().size(), plan.toString());

        // The daemon acts in between: it records a new size; the ghost's package is uploaded; the unused one is
        // installed (a plugins row); an install of the serverless plugin starts.
        daemon().execute("UPDATE tenant_storages SET size = 6 WHERE id = ?::uuid", storage);
        UUID ghostDeclaration = daemon().insertDeclaration(GHOST, "langgenius/ghost", "{\"name\":\"ghost\"}");
        UUID unusedPlugin = daemon().insertPlugin(UNUSED, "langgenius/unused", 0, "local", null);
        UUID task = daemon().insertInstallTask("running", tenant, 1, 0);
        daemon().execute("UPDATE install_tasks SET plugins = ? WHERE id = ?", "[{\"plugin_unique_identifier\":\"" + LAMBDA
                + "\",\"plugin_id\":\"langgenius/lambda\"}]", task);
        Map<String, List<String>> beforeApply = TableDump.daemon(db());
        List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED, ActionOutcome.SKIPPED_CHANGED, ActionOutcome.SKIPPED_CHANGED,
                ActionOutcome.SKIPPED_CHANGED), results.stream().map(ActionResult::outcome).toList(), results.toString());
        assertTrue(results.stream().anyMatch(r -> r.detail().contains("install task in flight")), results.toString());
        assertEquals(beforeApply, TableDump.daemon(db()), "nothing was forced");
        assertEquals(0L, quarantinedRows(plan), "nothing was quarantined");

        daemon().execute("DELETE FROM install_tasks WHERE id = ?", task);
        daemon().execute("DELETE FROM plugins WHERE id = ?", unusedPlugin);
        daemon().execute("DELETE FROM plugin_declarations WHERE id = ?", ghostDeclaration);
        daemon().execute("DELETE FROM plugin_declarations WHERE plugin_unique_identifier = ?", UNUSED);
        undoUnreferencedServerlessPlugin();
        undoGhost();
        daemon().execute("UPDATE tenant_storages SET size = ? WHERE id = ?::uuid", size, storage);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void holdingThePluginsRowItNeverWaitsForAnInstallationTheDaemonHolds() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String[] ids = new String[2];
        plantGhostInstallation(UUID.randomUUID(), ids);
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        Map<String, List<String>> planted = TableDump.daemon(db());
        try (var daemonTx = db().connect()) {
            // The daemon's upgrade holds the installation (it moves it first, then locks the plugins rows): if we
            // waited for it while holding the plugins row, the two would deadlock.
            daemonTx.setAutoCommit(false);
            try (var ps = daemonTx.prepareStatement("SELECT 1 FROM plugin_installations WHERE id = ?::uuid FOR UPDATE")) {
                ps.setString(1, ids[0]);
                ps.executeQuery().close();
            }
            long t0 = System.nanoTime();
            List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(ActionOutcome.FAILED, results.get(0).outcome(), results.toString());
            assertEquals("the row is locked by another transaction (the daemon is changing it?); taken NOWAIT, so we gave up at"
                    + " once: ERROR: could not obtain"
                    + " lock on row in relation \"plugin_installations\"", results.get(0).detail(),
                    "the reason names the installation the daemon holds");
            assertTrue(millis < 1_500, "gave up at once (NOWAIT), not after the 2 s lock timeout: " + millis + " ms");
            daemonTx.rollback();
        }
        assertEquals(planted, TableDump.daemon(db()), "a failed action changes nothing");
        assertEquals(0L, quarantinedRows(plan));
        undoGhost();
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void anActionsRowsAreRestoredAllOrNone() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        UUID tenant = UUID.randomUUID();
        String[] ids = new String[2];
        plantGhostInstallation(tenant, ids);
        Map<String, List<String>> planted = TableDump.daemon(db());
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        assertEquals(ActionOutcome.APPLIED, remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome());
        String actionId = plan.actions().get(0).id();

        // A different category row took the quarantined one's id: none of the action's three rows comes back.
        daemon().execute("INSERT INTO tool_installations (id, created_at, updated_at, tenant_id, provider,"
                + " plugin_unique_identifier, plugin_id) VALUES (?::uuid, now(), now(), ?, 'other', ?, 'langgenius/other')",
                ids[1], UUID.randomUUID(), DifyDataset.fakeUid("other", 4));
        Map<String, List<String>> taken = TableDump.daemon(db());
        List<ActionResult> refused = remediation.restorer().restore(actionId, "test");
        assertEquals(List.of(ActionOutcome.RESTORE_REFUSED, ActionOutcome.RESTORE_REFUSED, ActionOutcome.RESTORE_REFUSED),
                refused.stream().map(ActionResult::outcome).toList(), refused.toString());
        assertTrue(refused.get(0).detail().contains("tool_installations/" + ids[1]), refused.get(0).detail());
        assertEquals(taken, TableDump.daemon(db()), "the installation and refers were not restored either");
        assertEquals(3, remediation.restorer().pending(actionId).size(), "all three stay in quarantine");

        daemon().execute("DELETE FROM tool_installations WHERE id = ?::uuid", ids[1]);
        List<ActionResult> restored = remediation.restorer().restore(actionId, "test");
        assertEquals(List.of(ActionOutcome.RESTORED, ActionOutcome.RESTORED, ActionOutcome.RESTORED),
                restored.stream().map(ActionResult::outcome).toList(), restored.toString());
        assertEquals(planted, TableDump.daemon(db()));
        undoGhost();
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void restoreLeavesASizeTheDaemonRecordedSinceAlone() throws Exception {
        String row = queryText("SELECT id::text FROM tenant_storages LIMIT 1");
        long measured = daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", row);
        Map<String, List<String>> original = TableDump.daemon(db());
        daemon().execute("UPDATE tenant_storages SET size = 5 WHERE id = ?::uuid", row);
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(ActionOutcome.APPLIED, remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome());

        daemon().execute("UPDATE tenant_storages SET size = ? WHERE id = ?::uuid", measured + 10, row);
        List<ActionResult> refused = remediation.restorer().restore(plan.actions().get(0).id(), "test");
        assertEquals(ActionOutcome.RESTORE_REFUSED, refused.get(0).outcome(), refused.toString());
        assertEquals(measured + 10, daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", row));

        daemon().execute("UPDATE tenant_storages SET size = ? WHERE id = ?::uuid", measured, row);
        assertEquals(ActionOutcome.RESTORED, remediation.restorer().restore(plan.actions().get(0).id(), "test").get(0).outcome());
        assertEquals(5L, daemon().queryLong("SELECT size FROM tenant_storages WHERE id = ?::uuid", row));
        daemon().execute("UPDATE tenant_storages SET size = ? WHERE id = ?::uuid", measured, row);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void theShareCapCountsTheRowsOfEachKindsTable() {
        Map<FindingKind, Long> p = RemediationService.population(Map.of("plugins", 7L, "plugin_declarations", 11L,
                "plugin_installations", 13L, "tenant_storages", 17L), Map.of("plugin", 19L, "plugin_packages", 23L, "assets", 29L),
                StorageLayout.DEFAULT);
        assertEquals(17L, p.get(FindingKind.TENANT_STORAGE_DRIFT));
        assertEquals(13L, p.get(FindingKind.INSTALLATION_DECLARATION_MISSING));
        assertEquals(11L, p.get(FindingKind.DECLARATION_UNREFERENCED));
        assertEquals(7L, p.get(FindingKind.PLUGIN_UNREFERENCED));
        // objects: the prefix a kind's object is under, or would be copied into; checksum_mismatch is under either
        assertEquals(19L, p.get(FindingKind.INSTALLED_OBJECT_MISSING));
        assertEquals(23L, p.get(FindingKind.PACKAGE_MISSING));
        assertEquals(29L, p.get(FindingKind.ASSET_MISSING));
        assertEquals(42L, p.get(FindingKind.CHECKSUM_MISMATCH));
        assertEquals(Remedies.remediableKinds(), p.keySet(), "every kind with a remedy has a population, no other");
    }

    // --- plants ---

    /** A tenant's local installation (with its tool row) of an identifier whose declaration is gone; refers 1. */
    private void plantGhostInstallation(UUID tenant, String[] ids) {
        daemon().insertPlugin(GHOST, "langgenius/ghost", 1, "local", null);
        ids[0] = daemon().insertInstallation(tenant, "langgenius/ghost", GHOST, "local", "marketplace").toString();
        ids[1] = daemon().insertCategoryRow("tool_installations", tenant, "ghost", GHOST, "langgenius/ghost").toString();
    }

    private void undoGhost() {
        daemon().execute("DELETE FROM plugins WHERE plugin_unique_identifier = ?", GHOST);
        daemon().execute("DELETE FROM plugin_installations WHERE plugin_unique_identifier = ?", GHOST);
        daemon().execute("DELETE FROM tool_installations WHERE plugin_unique_identifier = ?", GHOST);
    }

    /** A serverless plugin the last tenant uninstalled by hand: its plugins row, declaration and runtime row are left. */
    private void plantUnreferencedServerlessPlugin() {
        daemon().insertDeclaration(LAMBDA, "langgenius/lambda", "{\"name\":\"lambda\"}");
        daemon().insertPlugin(LAMBDA, "langgenius/lambda", 0, "serverless", null);
        daemon().insertServerlessRuntime(LAMBDA, "https://functions.example/lambda", "lambda-fn", "aws_lambda", "c0ffee");
    }

    private void undoUnreferencedServerlessPlugin() {
        for (String table : List.of("plugins", "plugin_declarations", "serverless_runtimes")) {
            daemon().execute("DELETE FROM " + table + " WHERE plugin_unique_identifier = ?", LAMBDA);
        }
    }

    // --- the round trip every remedy goes through ---

    @FunctionalInterface
    private interface AfterApply {
        void check(long rowsQuarantined) throws Exception;
    }

    /**
     * @param followUps findings left after apply besides the clean dataset's, by kind: another remedy's step, or a
     *                  planted condition this remedy does not address
     * @return the planned action, as read back from the plan file
     */
    private PlannedAction roundTrip(FindingKind kind, Runnable plant, Map<FindingKind, Long> followUps, AfterApply afterApply)
            throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        ScanReport clean = scan(runner);
        plant.run();
        Map<String, List<String>> planted = TableDump.daemon(db());
        ScanReport drifted = scan(runner);
        assertEquals(1, drifted.summary().byKind().getOrDefault(kind, 0L), drifted.findings().toString());
        long criticalPlanted = drifted.summary().bySeverity().get(Severity.CRITICAL);

        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, command.plan("--output", file.toString()), "exit 1: actions planned");
            assertEquals(planted, TableDump.daemon(db()), "plan changes nothing");
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            assertEquals(1, plan.actions().size(), plan.toString());
            PlannedAction action = plan.actions().get(0);
            assertEquals(kind, action.kind());

            assertEquals(0, command.apply("--plan", file.toString()));
            assertEquals(planted, TableDump.daemon(db()), "an unarmed apply changes nothing");
            assertEquals(0L, quarantinedRows(plan));

            List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
            assertEquals(ActionOutcome.APPLIED, results.get(0).outcome(), results.toString());
            assertOnlyQuarantinedRowsChanged(planted, TableDump.daemon(db()), action.id());
            afterApply.check(quarantinedRows(plan));

            ScanReport after = scan(runner);
            assertEquals(0L, after.summary().byKind().getOrDefault(kind, 0L), after.findings().toString());
            assertTrue(after.summary().bySeverity().get(Severity.CRITICAL) <= criticalPlanted, "no critical appeared: "
                    + after.findings());
            Map<FindingKind, Long> expected = new EnumMap<>(FindingKind.class);
            expected.putAll(clean.summary().byKind());
            followUps.forEach((k, n) -> expected.merge(k, n, Long::sum));
            expected.values().removeIf(n -> n == 0);
            Map<FindingKind, Long> found = new EnumMap<>(FindingKind.class);
            found.putAll(after.summary().byKind());
            found.values().removeIf(n -> n == 0);
            assertEquals(expected, found, "the clean dataset's findings, plus the follow-ups left on purpose");
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                    + " AND outcome = 'applied'", action.id()));
            String series = "plugin_reconciler_remediation_actions_total{action=\"" + action.action().label() + "\",kind=\""
                    + kind.label() + "\",outcome=\"applied\"}";
            assertTrue(io.restassured.RestAssured.get("/q/metrics").asString().contains(series), series);

            assertEquals(ActionOutcome.SKIPPED_CHANGED,
                    remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome(),
                    "applying the same plan again finds nothing to do");

            List<ActionResult> restored = remediation.restorer().restore(action.id(), "test");
            assertTrue(!restored.isEmpty() && restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED),
                    restored.toString());
            assertEquals(planted, TableDump.daemon(db()), "restore puts back exactly what was there");
            assertTrue(remediation.restorer().pending(action.id()).isEmpty());
            undo(planted, original);
            assertEquals(original, TableDump.daemon(db()));
            return action;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Rows the action did not quarantine are identical; a removed row is gone; an updated row differs only in the
     * columns the quarantine entry says we set, and holds those values.
     */
    private void assertOnlyQuarantinedRowsChanged(Map<String, List<String>> before, Map<String, List<String>> after,
            String actionId) throws Exception {
        Map<String, JsonNode> setColumns = new HashMap<>(); // table/id -> columns set (null node: removed)
        try (var c = db().connect();
                var ps = c.prepareStatement("SELECT table_name, row_id, set_columns::text FROM"
                        + " plugin_reconciler.quarantine_rows WHERE action_id = ?")) {
            ps.setString(1, actionId);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    setColumns.put(rs.getString(1) + "/" + rs.getString(2),
                            rs.getString(3) == null ? mapper.nullNode() : mapper.readTree(rs.getString(3)));
                }
            }
        }
        assertTrue(!setColumns.isEmpty(), "the action quarantined its rows under its id");
        for (String table : before.keySet()) {
            List<String> untouchedBefore = new ArrayList<>();
            for (String row : before.get(table)) {
                JsonNode set = setColumns.get(table + "/" + mapper.readTree(row).get("id").asText());
                if (set == null) {
                    untouchedBefore.add(row);
                } else if (set.isNull()) {
                    assertTrue(after.get(table).stream().noneMatch(r -> sameId(r, row)), "removed from " + table);
                } else {
                    ObjectNode now = (ObjectNode) mapper.readTree(after.get(table).stream().filter(r -> sameId(r, row))
                            .findFirst().orElseThrow());
                    ObjectNode was = (ObjectNode) mapper.readTree(row);
                    set.fieldNames().forEachRemaining(col -> {
                        assertEquals(set.get(col).asLong(), now.get(col).asLong(), col);
                        now.set(col, was.get(col));
                    });
                    assertEquals(was, now, "only the set columns changed in " + table);
                }
            }
            List<String> untouchedAfter = after.get(table).stream()
                    .filter(r -> !setColumns.containsKey(table + "/" + id(r))).toList();
            assertEquals(untouchedBefore, untouchedAfter, "untouched rows of " + table);
        }
    }

    private boolean sameId(String a, String b) {
        return id(a).equals(id(b));
    }

    private String id(String row) {
        try {
            return mapper.readTree(row).get("id").asText();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void undo(Map<String, List<String>> planted, Map<String, List<String>> original) {
        TableDump.undo(db(), planted, original);
    }

}
