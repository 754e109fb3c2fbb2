package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.armed;
import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.pluginRowId;
import static dify.reconciler.testsupport.DriftedFixture.quarantinedRows;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.apply.RowRemedyApplier;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.Await;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The remedies of a workspace deleted in Dify ({@code installation_tenant_missing}) and of the legacy global tenant's
 * installation ({@code legacy_global_installation}), against the real database with Dify's own database beside it:
 * planted next to look-alikes (the dataset's workspaces, one of them one character away from the deleted one; a
 * global installation of a plugin workspaces still use), plan and an unarmed apply change nothing, the armed apply
 * removes exactly the planted rows (every other row of every table identical), restore gives back the exact tables,
 * and a target that changed between plan and apply (the workspace back in Dify, a row written since, Dify's table
 * emptied or another installation's, a workspace that installed the plugin) is skipped, never forced.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = {@ResourceArg(name = "credentials", value = "owner"),
        @ResourceArg(name = "dify", value = "tenants")})
class TenantRemediesTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.INSTALLATION_TENANT_MISSING, FindingKind.LEGACY_GLOBAL_INSTALLATION);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final Instant OLD = Instant.now().minus(Duration.ofHours(1));
    private static final String ORPHAN = DifyDataset.fakeUid("orphan", 7);

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    ObjectMapper mapper;

    @Test
    void aDeletedWorkspaceIsUninstalledWithItsEndpointsAndStorageRowsThenRestoredExactly() throws Exception {
        original = original != null ? original : TableDump.daemon(db());
        assertEquals(original, TableDump.daemon(db()), "the dataset as seeded");
        clean = scan(runner);
        UUID deleted = nearMiss();
        plantWorkspace(deleted);
        Map<String, List<String>> planted = TableDump.daemon(db());
        ScanReport drifted = scan(runner);
        assertEquals(Map.of(FindingKind.INSTALLATION_TENANT_MISSING, 1L), counts(drifted), drifted.findings().toString());

        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, command.plan("--output", file.toString()), "exit 1: actions planned");
            assertEquals(planted, TableDump.daemon(db()), "plan changes nothing");
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            assertEquals(1, plan.actions().size(), plan.toString());
            PlannedAction action = plan.actions().get(0);
            assertEquals(List.of(FindingKind.INSTALLATION_TENANT_MISSING, "tenants", deleted.toString(), deleted.toString()),
                    List.of(action.kind(), action.table(), action.rowId(), action.tenantId()));
            assertEquals(OLD.toEpochMilli(), action.observedValue(), "the latest change the scan saw, from the plan file");

            assertEquals(0, command.apply("--plan", file.toString()));
            assertEquals(planted, TableDump.daemon(db()), "an unarmed apply changes nothing");

            List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
            assertEquals(ActionOutcome.APPLIED, results.get(0).outcome(), results.toString());
            // Every planted row is gone and refers is back: every table is the dataset's, row for row, look-alikes
            // (the workspace one character away) included.
            assertEquals(original, TableDump.daemon(db()), "exactly the deleted workspace's rows were removed");
            assertEquals(8L, quarantinedRows(plan), "2 installations, 2 category rows, 1 endpoint, 1 tenant_storages row, 2 refers");
            ScanReport after = scan(runner);
            assertEquals(Map.of(), counts(after), after.findings().toString());

            assertEquals(ActionOutcome.SKIPPED_CHANGED,
                    remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome(),
                    "applying the same plan again finds nothing to do");
            List<ActionResult> restored = remediation.restorer().restore(action.id(), "test");
            assertEquals(8, restored.size(), restored.toString());
            assertTrue(restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), restored.toString());
            assertEquals(planted, TableDump.daemon(db()), "restore puts back exactly what was there");
        } finally {
            Files.deleteIfExists(file);
        }
        TableDump.undo(db(), planted, original);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void aDeletedWorkspaceIsSkippedWhenItIsBackInDifyOrARowChangedOrDifysTableIsNotTrusted() throws Exception {
        original = original != null ? original : TableDump.daemon(db());
        assertEquals(original, TableDump.daemon(db()), "the dataset as seeded");
        clean = scan(runner);
        UUID deleted = nearMiss();
        plantWorkspace(deleted);
        Map<String, List<String>> planted = TableDump.daemon(db());
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        List<UUID> workspaces = DriftedDaemonAccess.dataset().tenants;

        // Dify's API created it again (a restore of Dify's database).
        dify("INSERT INTO tenants (id, name) VALUES (?, 'back')", deleted);
        assertSkipped(plan, "the workspace is in tenants of Dify's database");
        dify("DELETE FROM tenants WHERE id = ?", deleted);
        // Dify's tenants emptied (a restore in progress), then holding only workspaces this daemon never saw.
        dify("DELETE FROM tenants");
        assertSkipped(plan, "tenants is empty in Dify's database");
        dify("INSERT INTO tenants (id, name) VALUES (?, 'elsewhere')", UUID.randomUUID());
        assertSkipped(plan, "none of " + workspaces.size() + " other workspaces the daemon has installations for is in tenants");
        for (UUID w : workspaces) {
            dify("INSERT INTO tenants (id, name) VALUES (?, 'back')", w);
        }
        // The daemon wrote one of its rows since the scan.
        daemon().execute("UPDATE endpoints SET updated_at = now() WHERE lower(tenant_id) = ?", deleted.toString());
        assertSkipped(plan, "endpoints row");

        daemon().execute("UPDATE endpoints SET updated_at = created_at WHERE lower(tenant_id) = ?", deleted.toString());
        assertEquals(planted, TableDump.daemon(db()));
        assertEquals(ActionOutcome.APPLIED, remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome(),
                "with Dify and the rows as the scan saw them, the same plan applies");
        assertEquals(original, TableDump.daemon(db()));
        dify("DELETE FROM tenants WHERE name = 'elsewhere'");
        assertEquals(ActionOutcome.RESTORED, remediation.restorer().restore(plan.actions().get(0).id(), "test").get(0).outcome());
        TableDump.undo(db(), planted, original);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void whileDifysTenantsIsLockedTheActionHoldsNoneOfTheDaemonsTablesAndFailsChangingNothing() throws Exception {
        original = original != null ? original : TableDump.daemon(db());
        clean = scan(runner);
        plantWorkspace(nearMiss());
        Map<String, List<String>> planted = TableDump.daemon(db());
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        RowRemedyApplier applier = remediation.applier();
        try (Connection difyMigration = DriftedDaemonAccess.difyDatabase().connect()) {
            // Dify's API migrating tenants: our re-check waits on it (up to its lock timeout).
            difyMigration.setAutoCommit(false);
            difyMigration.createStatement().execute("LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE");
            CompletableFuture<List<ActionResult>> applying = CompletableFuture
                    .supplyAsync(() -> applier.apply(plan, Tokens.acting(armed(remediation)), "test"));
            Await.until("the re-check waits on Dify's tenants", Duration.ofSeconds(10), () -> daemon().queryLong(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE NOT l.granted"
                            + " AND d.datname = ?",
                    DriftedDaemonAccess.difyDatabase().name()) > 0);
            // Meanwhile the daemon's own migration takes every table the action reads, at once.
            try (Connection daemonMigration = db().connect(); Statement st = daemonMigration.createStatement()) {
                daemonMigration.setAutoCommit(false);
                st.execute("SET LOCAL lock_timeout = '200ms'");
                st.execute("LOCK TABLE plugin_installations, plugins, endpoints, tenant_storages IN ACCESS EXCLUSIVE MODE");
                daemonMigration.rollback();
            }
            ActionResult r = applying.get(30, TimeUnit.SECONDS).get(0);
            assertEquals(ActionOutcome.FAILED, r.outcome(), r.toString());
            assertTrue(r.detail().startsWith("re-checking Dify's tenants in ") && r.detail().contains("lock timeout"), r.detail());
            difyMigration.rollback();
        }
        assertEquals(planted, TableDump.daemon(db()), "a failed action changes nothing");
        assertEquals(0L, quarantinedRows(plan));
    }

    @Test
    void theGlobalTenantsInstallationIsUninstalledNotTheOneOfAPluginWorkspacesUseThenRestored() throws Exception {
        original = original != null ? original : TableDump.daemon(db());
        assertEquals(original, TableDump.daemon(db()), "the dataset as seeded");
        clean = scan(runner);
        DifyDataset.Plugin used = DriftedDaemonAccess.dataset().localPlugin(0);
        plantGlobalInstallations(used);
        Map<String, List<String>> planted = TableDump.daemon(db());
        ScanReport drifted = scan(runner);
        // The serverless plugin's package was never in this bucket: package_missing, which this remedy leaves alone.
        assertEquals(Map.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, 1L, FindingKind.PACKAGE_MISSING, 1L), counts(drifted),
                drifted.findings().toString());

        RemediationPlan plan = remediation.plan(drifted);
        assertEquals(1, plan.actions().size(), plan.toString());
        PlannedAction action = plan.actions().get(0);
        assertEquals(List.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, ORPHAN, GlobalTenant.ID),
                List.of(action.kind(), action.pluginUniqueIdentifier(), action.tenantId()));
        List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
        assertEquals(ActionOutcome.APPLIED, results.get(0).outcome(), results.toString());
        assertEquals(0L, daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE plugin_unique_identifier = ?", ORPHAN));
        assertEquals(0L, daemon().queryLong("SELECT count(*) FROM tool_installations WHERE plugin_unique_identifier = ?", ORPHAN));
        assertEquals(0L, daemon().queryLong("SELECT refers FROM plugins WHERE plugin_unique_identifier = ?", ORPHAN),
                "refers counts what is left; the plugins row stays for plugin_unreferenced");
        assertEquals(3L, quarantinedRows(plan), "installation, category row, refers");
        // The global tenant's installation of a plugin workspaces use, and its refers, are as planted.
        assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE plugin_unique_identifier = ?"
                + " AND tenant_id = ?::uuid", used.uid(), GlobalTenant.ID));
        assertEquals(planted.get("plugins").stream().filter(r -> r.contains(used.uid())).toList(),
                TableDump.daemon(db()).get("plugins").stream().filter(r -> r.contains(used.uid())).toList());
        ScanReport after = scan(runner);
        assertEquals(Map.of(FindingKind.PLUGIN_UNREFERENCED, 1L, FindingKind.PACKAGE_MISSING, 1L), counts(after),
                "what the last uninstall leaves: " + after.findings());

        List<ActionResult> restored = remediation.restorer().restore(action.id(), "test");
        assertTrue(restored.stream().allMatch(r -> r.outcome() == ActionOutcome.RESTORED), restored.toString());
        assertEquals(planted, TableDump.daemon(db()), "restore puts back exactly what was there");

        // A workspace installs the plugin between plan and apply: the global row is no longer the only one.
        UUID workspace = DriftedDaemonAccess.dataset().tenants.get(0);
        daemon().insertInstallation(workspace, "langgenius/orphan", ORPHAN, "serverless", "marketplace");
        daemon().execute("UPDATE plugins SET refers = refers + 1 WHERE plugin_unique_identifier = ?", ORPHAN);
        Map<String, List<String>> installed = TableDump.daemon(db());
        ActionResult skipped = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0);
        assertEquals(ActionOutcome.SKIPPED_CHANGED, skipped.outcome(), skipped.toString());
        assertEquals("1 workspace(s) have this identifier installed now", skipped.detail());
        assertEquals(installed, TableDump.daemon(db()), "nothing was forced");
        TableDump.undo(db(), installed, original);
        assertEquals(original, TableDump.daemon(db()));
    }

    // --- plants ---

    /** A workspace one character away from the dataset's second one (its last digit a letter). */
    private static UUID nearMiss() {
        String existing = DriftedDaemonAccess.dataset().tenants.get(1).toString();
        return UUID.fromString(existing.substring(0, existing.length() - 1) + "a");
    }

    /**
     * What the daemon keeps for a workspace Dify deleted: two installations with their category rows (refers counted),
     * an endpoint whose text tenant id is in upper case, a tenant_storages row.
     */
    private static void plantWorkspace(UUID tenant) {
        DaemonRows rows = daemon().at(OLD);
        DifyDataset dataset = DriftedDaemonAccess.dataset();
        for (DifyDataset.Plugin p : List.of(dataset.localPlugin(1), dataset.localPlugin(2))) {
            rows.insertInstallation(tenant, p.pluginId(), p.uid(), "local", "marketplace", OLD);
            rows.insertCategoryRow(p.categoryTable(), tenant, p.pluginId().split("/")[1], p.uid(), p.pluginId(), OLD);
            rows.execute("UPDATE plugins SET refers = refers + 1 WHERE id = ?", p.pluginRowId());
        }
        rows.insertEndpoint(tenant.toString().toUpperCase(), dataset.localPlugin(1).pluginId(), "hook-" + tenant, "default", OLD);
        rows.insertTenantStorage(tenant.toString(), dataset.localPlugin(2).pluginId(), 0, OLD);
    }

    /**
     * A serverless plugin only the global tenant has installed (daemon 0.4: its installation, category row, refers
     * 1), and the global tenant's installation of a plugin workspaces use (not a finding: left alone).
     */
    private static void plantGlobalInstallations(DifyDataset.Plugin used) {
        DaemonRows rows = daemon().at(OLD);
        UUID global = UUID.fromString(GlobalTenant.ID);
        rows.insertDeclaration(ORPHAN, "langgenius/orphan", "{\"name\":\"orphan\"}", OLD);
        rows.insertPlugin(ORPHAN, "langgenius/orphan", 1, "serverless", null, OLD);
        rows.insertServerlessRuntime(ORPHAN, "https://functions.example/orphan", "orphan-fn", "aws_lambda", "c0ffee", OLD);
        rows.insertInstallation(global, "langgenius/orphan", ORPHAN, "serverless", "marketplace", OLD);
        rows.insertCategoryRow("tool_installations", global, "orphan", ORPHAN, "langgenius/orphan", OLD);
        rows.insertInstallation(global, used.pluginId(), used.uid(), "local", "marketplace", OLD);
        rows.execute("UPDATE plugins SET refers = refers + 1 WHERE id = ?", used.pluginRowId());
    }

    // --- helpers ---

    /** Whatever a failed test left is taken out, so the next test starts on the dataset (rows it removed stay removed). */
    @org.junit.jupiter.api.AfterEach
    void putTheDatasetBack() throws SQLException {
        if (original != null) {
            TableDump.undo(db(), TableDump.daemon(db()), original);
        }
        dify("DELETE FROM tenants");
        for (UUID w : DriftedDaemonAccess.dataset().tenants) {
            dify("INSERT INTO tenants (id, name) VALUES (?, 'workspace')", w);
        }
    }

    private static Map<String, List<String>> original;

    private void assertSkipped(RemediationPlan plan, String because) throws SQLException {
        Map<String, List<String>> before = TableDump.daemon(db());
        ActionResult r = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0);
        assertEquals(ActionOutcome.SKIPPED_CHANGED, r.outcome(), r.toString());
        assertNotNull(r.detail());
        assertTrue(r.detail().contains(because), r.detail());
        assertEquals(before, TableDump.daemon(db()), "nothing was forced");
        assertEquals(0L, quarantinedRows(plan), "nothing was quarantined");
    }

    /** The findings beyond the seeded dataset's own (its one missing package and what follows from it). */
    private ScanReport clean;

    private Map<FindingKind, Long> counts(ScanReport r) {
        if (clean == null) {
            throw new IllegalStateException("scan first");
        }
        Map<FindingKind, Long> extra = new EnumMap<>(FindingKind.class);
        r.summary().byKind().forEach((k, n) -> {
            long more = n - clean.summary().byKind().getOrDefault(k, 0L);
            if (more != 0) {
                extra.put(k, more);
            }
        });
        return extra;
    }

    private static void dify(String sql, Object... params) throws SQLException {
        try (Connection c = DriftedDaemonAccess.difyDatabase().connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }

}
