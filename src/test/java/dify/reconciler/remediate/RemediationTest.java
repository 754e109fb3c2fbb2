package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.armed;
import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.pluginRowId;
import static dify.reconciler.testsupport.DriftedFixture.quarantinedRows;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static dify.reconciler.testsupport.DriftedFixture.uidOf;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every row remedy against the real database (the daemon's owner credentials, so state is persisted and writes
 * are allowed): plant one drift on a clean dataset, scan, plan (nothing changes), apply unarmed (nothing
 * changes), apply armed (the finding is gone on the next scan, no critical appeared, every other row is
 * identical), restore (every table equals the original, column by column). Also the re-check (a row changed
 * between plan and apply is skipped), the guards (unconfirmed, cap) and a restore that would overwrite.
 * The configured dry-run stays true here; armed application passes an armed copy of the configured policy.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class RemediationTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.REFERS_TOO_LOW, FindingKind.REFERS_DRIFT, FindingKind.CATEGORY_ROW_ORPHANED,
                FindingKind.ENDPOINT_ORPHANED, FindingKind.INVALID_IDENTIFIER_ROW);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    RemediationCommand command;

    @Inject
    ObjectMapper mapper;

    @Inject
    Breaker breaker;

    @Test
    void refersTooLowIsSetToTheInstallationCountThenRestored() throws Exception {
        String pluginRow = pluginRowId("langgenius/plugin1");
        roundTrip(FindingKind.REFERS_TOO_LOW, () -> daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", pluginRow),
                pluginRow, RemedyAction.UPDATE_ROW);
    }

    @Test
    void refersDriftIsSetToTheInstallationCountThenRestored() throws Exception {
        String pluginRow = pluginRowId("langgenius/plugin2");
        roundTrip(FindingKind.REFERS_DRIFT, () -> daemon().execute("UPDATE plugins SET refers = 7 WHERE id = ?::uuid", pluginRow),
                pluginRow, RemedyAction.UPDATE_ROW);
    }

    @Test
    void orphanedCategoryRowIsQuarantinedThenRestored() throws Exception {
        UUID[] row = new UUID[1];
        String uid = uidOf("langgenius/plugin1");
        roundTrip(FindingKind.CATEGORY_ROW_ORPHANED, () -> row[0] = daemon().insertCategoryRow("tool_installations",
                UUID.randomUUID(), "plugin1", uid, "langgenius/plugin1"), null, RemedyAction.QUARANTINE_ROW);
    }

    @Test
    void orphanedEndpointIsQuarantinedThenRestored() throws Exception {
        roundTrip(FindingKind.ENDPOINT_ORPHANED, () -> daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone",
                "hook-" + UUID.randomUUID(), "default"), null, RemedyAction.QUARANTINE_ROW);
    }

    @Test
    void rowWithInvalidIdentifierIsQuarantinedThenRestored() throws Exception {
        roundTrip(FindingKind.INVALID_IDENTIFIER_ROW, () -> daemon().insertDeclaration("not an identifier", "acme/broken",
                "{\"name\":\"broken\"}"), null, RemedyAction.QUARANTINE_ROW);
    }

    @Test
    void aRowChangedBetweenPlanAndApplyIsSkippedNotForced() throws Exception {
        String pluginRow = pluginRowId("langgenius/plugin1");
        Map<String, List<String>> original = TableDump.daemon(db());
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", pluginRow);
        String hook = "hook-" + UUID.randomUUID();
        String tenant = UUID.randomUUID().toString();
        daemon().insertEndpoint(tenant, "langgenius/plugin2", hook, "default");
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(2, plan.actions().size(), plan.toString());

        // The daemon acts in between: refers was set right, and the endpoint's tenant installed its plugin.
        daemon().execute("UPDATE plugins SET refers = 2 WHERE id = ?::uuid", pluginRow);
        UUID installation = daemon().insertInstallation(UUID.fromString(tenant), "langgenius/plugin2", uidOf("langgenius/plugin2"),
                "local", "marketplace");
        Map<String, List<String>> beforeApply = TableDump.daemon(db());
        List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED, ActionOutcome.SKIPPED_CHANGED),
                results.stream().map(ActionResult::outcome).toList(), results.toString());
        assertEquals(beforeApply, TableDump.daemon(db()), "nothing was forced");
        assertEquals(0L, quarantinedRows(plan), "nothing was quarantined");
        assertEquals(2L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE plan_id = ?"
                + " AND outcome = 'skipped_changed'", plan.planId()));

        daemon().execute("DELETE FROM plugin_installations WHERE id = ?", installation);
        daemon().execute("UPDATE plugins SET refers = 2 WHERE id = ?::uuid", pluginRow);
        daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void restoreLeavesARefersTheDaemonChangedSinceAlone() throws Exception {
        String pluginRow = pluginRowId("langgenius/plugin2");
        Map<String, List<String>> original = TableDump.daemon(db());
        daemon().execute("UPDATE plugins SET refers = 9 WHERE id = ?::uuid", pluginRow);
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(ActionOutcome.APPLIED, remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome());
        assertEquals(2L, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow));

        // A later install (as the daemon does it) moved refers on: putting back 9 would break it again.
        daemon().execute("UPDATE plugins SET refers = 3 WHERE id = ?::uuid", pluginRow);
        List<ActionResult> refused = remediation.restorer().restore(plan.actions().get(0).id(), "test");
        assertEquals(ActionOutcome.RESTORE_REFUSED, refused.get(0).outcome(), refused.toString());
        assertTrue(refused.get(0).detail().contains("changed since"), refused.get(0).detail());
        assertEquals(3L, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow));
        assertEquals(1, remediation.restorer().pending(plan.actions().get(0).id()).size(), "still in quarantine");

        daemon().execute("UPDATE plugins SET refers = 2 WHERE id = ?::uuid", pluginRow);
        assertEquals(ActionOutcome.RESTORED, remediation.restorer().restore(plan.actions().get(0).id(), "test").get(0).outcome());
        assertEquals(9L, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow));
        daemon().execute("UPDATE plugins SET refers = 2 WHERE id = ?::uuid", pluginRow);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void aRowTheDaemonHoldsLockedFailsWithinTheLockTimeoutInsteadOfWaiting() throws Exception {
        String pluginRow = pluginRowId("langgenius/plugin1");
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", pluginRow);
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        Map<String, List<String>> planted = TableDump.daemon(db());
        try (var daemonTx = db().connect()) {
            // The daemon's install holds the plugins row (SELECT … FOR UPDATE) in an open transaction.
            daemonTx.setAutoCommit(false);
            try (var ps = daemonTx.prepareStatement("SELECT refers FROM plugins WHERE id = ?::uuid FOR UPDATE")) {
                ps.setString(1, pluginRow);
                ps.executeQuery().close();
            }
            long t0 = System.nanoTime();
            List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(ActionOutcome.FAILED, results.get(0).outcome(), results.toString());
            assertTrue(results.get(0).detail().contains("lock_timeout"), results.get(0).detail());
            assertTrue(millis < 5_000, "gave up after the 2 s lock timeout, not later: " + millis + " ms");
            daemonTx.rollback();
        }
        assertEquals(planted, TableDump.daemon(db()), "a failed action changes nothing");
        assertEquals(0L, quarantinedRows(plan));
        daemon().execute("UPDATE plugins SET refers = 2 WHERE id = ?::uuid", pluginRow);
    }

    @Test
    void unconfirmedAndCappedFindingsAreWithheldAndReportOnlyKindsSaidSo() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        List<String> hooks = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            hooks.add("hook-" + UUID.randomUUID());
            daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hooks.get(i), "default");
        }
        ScanReport first = scan(runner);
        RemediationPolicy configured = remediation.policy();
        RemediationPolicy twoScans = new RemediationPolicy(false, configured.allowed(), 2, configured.minAge(),
                configured.minAgeInfo(), 2, 1.0, configured.planTtl());
        RemediationPlan unconfirmed = remediation.plan(first, twoScans);
        assertTrue(unconfirmed.actions().isEmpty(), unconfirmed.toString());
        assertEquals(3, unconfirmed.withheld().stream().filter(w -> w.reason() == WithheldReason.UNCONFIRMED).count());
        // package_missing has an object remedy now, not listed in this profile's kinds
        assertEquals(List.of(FindingKind.PACKAGE_MISSING), unconfirmed.withheld().stream()
                .filter(w -> w.reason() == WithheldReason.NOT_ALLOWED).map(WithheldItem::kind).toList());

        // 3 eligible, at most 2 per run: the cap trips the breaker, which stops this plan too (GuardsTest: it stays).
        RemediationPlan capped = remediation.plan(scan(runner), twoScans);
        assertTrue(capped.actions().isEmpty(), capped.toString());
        assertEquals(List.of(GuardName.CAP), capped.guards().stream().map(GuardTrip::guard).toList());
        assertTrue(capped.guards().get(0).detail().startsWith("max-actions-per-run 2 reached"), capped.guards().toString());
        assertEquals(3, capped.withheld().stream().filter(w -> w.reason() == WithheldReason.GUARD
                && w.kind() == FindingKind.ENDPOINT_ORPHANED).count(), capped.toString());
        assertEquals(1, breaker.ack("test: the three orphaned endpoints are expected", "test").size());

        RemediationPolicy quarterShare = new RemediationPolicy(false, configured.allowed(), 1, configured.minAge(),
                configured.minAgeInfo(), 50, 0.25, configured.planTtl());
        // 3 orphaned among the dataset's endpoints plus these: a quarter of them rounds down to fewer than 3.
        long endpoints = daemon().count("endpoints");
        RemediationPlan shared = remediation.plan(scan(runner), quarterShare);
        assertTrue(Math.floor(0.25 * endpoints) < 3, "endpoints: " + endpoints);
        assertTrue(shared.actions().isEmpty(), shared.toString());
        assertTrue(shared.guards().get(0).detail().startsWith("max-share 0.25"), shared.guards().toString());
        assertEquals(1, breaker.ack("test: share cap checked", "test").size());

        for (String hook : hooks) {
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
        assertEquals(original, TableDump.daemon(db()), "planning changed nothing");
    }

    @Test
    void restoreRefusesToOverwriteADifferentRowWithTheSameId() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        UUID endpoint = daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-" + UUID.randomUUID(), "default");
        Map<String, List<String>> planted = TableDump.daemon(db());
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(1, plan.actions().size(), plan.toString());
        assertEquals(ActionOutcome.APPLIED, remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome());

        // Someone re-created a row with that id but other content.
        daemon().execute("INSERT INTO endpoints (id, created_at, updated_at, name, hook_id, tenant_id, user_id, plugin_id,"
                + " enabled, settings) VALUES (?, now(), now(), 'other', 'hook-other', 't', 'u', 'acme/other', true, '{}')", endpoint);
        List<ActionResult> refused = remediation.restorer().restore(plan.actions().get(0).id(), "test");
        assertEquals(ActionOutcome.RESTORE_REFUSED, refused.get(0).outcome(), refused.toString());
        assertEquals("hook-other", daemon().queryLong("SELECT count(*) FROM endpoints WHERE hook_id = 'hook-other'") == 1
                ? "hook-other"
                : "overwritten");

        daemon().execute("DELETE FROM endpoints WHERE id = ?", endpoint);
        assertEquals(ActionOutcome.RESTORED, remediation.restorer().restore(plan.actions().get(0).id(), "test").get(0).outcome());
        assertEquals(planted, TableDump.daemon(db()));
        daemon().execute("DELETE FROM endpoints WHERE id = ?", endpoint);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void applyRefusesAnExpiredPlanAndOneMadeForAnotherDatabase(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        // The clean dataset has only package_missing (not allowed here): nothing to do, exit 0, said in text too.
        Path text = tmp.resolve("plan.txt");
        assertEquals(0, command.plan("--format", "text", "--output", text.toString()));
        String rendered = Files.readString(text);
        assertTrue(rendered.startsWith("Plan ") && rendered.contains("Actions: 0; withheld: 1")
                && rendered.contains("withheld not_allowed package_missing"), rendered);
        assertEquals(2, command.plan("--format", "yaml"), "a bad option fails before any scan");
        RemediationPlan plan = remediation.plan(scan(runner));
        PlanDocument doc = PlanDocument.of(plan);
        Path other = tmp.resolve("other.json");
        mapper.writeValue(other.toFile(), new PlanDocument(doc.planId(), doc.createdAt(), doc.expiresAt(),
                "postgresql://elsewhere:5432/dify_plugin", doc.runId(), doc.actions(), doc.withheld(), doc.withheldTotal()));
        assertEquals(2, command.apply("--plan", other.toString()));
        // Same database, another bucket: its keys and versions are another store's.
        assertTrue(doc.database().contains(" with "), doc.database());
        Path otherBucket = tmp.resolve("other-bucket.json");
        mapper.writeValue(otherBucket.toFile(), new PlanDocument(doc.planId(), doc.createdAt(), doc.expiresAt(),
                doc.database().substring(0, doc.database().indexOf(" with ")) + " with s3://another-bucket (endpoint default)",
                doc.runId(), doc.actions(), doc.withheld(), doc.withheldTotal()));
        assertEquals(2, command.apply("--plan", otherBucket.toString()));
        Path expired = tmp.resolve("expired.json");
        mapper.writeValue(expired.toFile(), new PlanDocument(doc.planId(), doc.createdAt(), doc.createdAt(),
                doc.database(), doc.runId(), doc.actions(), doc.withheld(), doc.withheldTotal()));
        assertEquals(2, command.apply("--plan", expired.toString()));
        Path good = tmp.resolve("good.json");
        mapper.writeValue(good.toFile(), doc);
        assertEquals(0, command.apply("--plan", good.toString()), "unarmed, a valid plan is shown and exits 0");
    }

    @Test
    void applyWritesEveryOutcomeAsJsonWithOutput(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        String hook = "hook-" + UUID.randomUUID();
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
        try {
            Path planFile = tmp.resolve("plan.json");
            assertEquals(1, command.plan("--output", planFile.toString()));
            Path out = tmp.resolve("results.json");
            assertEquals(0, command.apply("--plan", planFile.toString(), "--output", out.toString()));
            var doc = mapper.readTree(out.toFile());
            assertEquals(mapper.readTree(planFile.toFile()).get("planId").asText(), doc.get("planId").asText());
            assertEquals(false, doc.get("armed").asBoolean());
            assertEquals("dry_run", doc.at("/results/0/outcome").asText(), doc.toString());
            assertEquals("endpoint_orphaned", doc.at("/results/0/kind").asText(), doc.toString());
            assertEquals(2, command.apply("--plan", planFile.toString(), "--output"), "--output needs a file");
        } finally {
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
    }

    // --- the round trip every row remedy goes through ---

    private void roundTrip(FindingKind kind, Runnable plant, String expectedRow, RemedyAction expectedAction) throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        ScanReport clean = scan(runner);
        long criticalBefore = clean.summary().bySeverity().get(Severity.CRITICAL);
        plant.run();
        Map<String, List<String>> planted = TableDump.daemon(db());
        ScanReport drifted = scan(runner);
        assertEquals(1, drifted.summary().byKind().getOrDefault(kind, 0L), drifted.findings().toString());

        // plan: the command (as an operator runs it), then the plan it wrote
        Path file = Files.createTempFile("plan", ".json");
        try {
            assertEquals(1, command.plan("--output", file.toString()), "exit 1: actions planned");
            assertEquals(planted, TableDump.daemon(db()), "plan changes nothing");
            RemediationPlan plan = mapper.readValue(file.toFile(), PlanDocument.class).toPlan();
            assertEquals(1, plan.actions().size(), plan.toString());
            PlannedAction action = plan.actions().get(0);
            assertEquals(kind, action.kind());
            assertEquals(expectedAction, action.action());
            if (expectedRow != null) {
                assertEquals(expectedRow, action.rowId());
            }

            // apply, not armed (the configured dry-run is true): exit 0, nothing written
            assertEquals(0, command.apply("--plan", file.toString()));
            assertEquals(planted, TableDump.daemon(db()), "an unarmed apply changes nothing");
            assertEquals(0L, quarantinedRows(plan));

            // apply, armed
            List<ActionResult> results = remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test");
            assertEquals(ActionOutcome.APPLIED, results.get(0).outcome(), results.toString());
            Map<String, List<String>> applied = TableDump.daemon(db());
            assertOnlyTargetChanged(planted, applied, action);
            ScanReport after = scan(runner);
            assertEquals(0L, after.summary().byKind().getOrDefault(kind, 0L), after.findings().toString());
            assertTrue(after.summary().bySeverity().get(Severity.CRITICAL) <= criticalBefore, "no critical appeared: "
                    + after.findings());
            assertEquals(clean.summary().byKind(), after.summary().byKind(), "back to the clean dataset's findings");
            assertEquals(1L, quarantinedRows(plan));
            String series = "plugin_reconciler_remediation_actions_total{action=\"" + action.action().label() + "\",kind=\""
                    + kind.label() + "\",outcome=\"applied\"}";
            assertTrue(io.restassured.RestAssured.get("/q/metrics").asString().contains(series), series);
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                    + " AND outcome = 'applied'", action.id()));

            // applying the same plan again finds nothing to do
            assertEquals(ActionOutcome.SKIPPED_CHANGED,
                    remediation.applier().apply(plan, Tokens.acting(armed(remediation)), "test").get(0).outcome());

            // restore: every table as it was before apply, column for column
            List<ActionResult> restored = remediation.restorer().restore(action.id(), "test");
            assertEquals(List.of(ActionOutcome.RESTORED), restored.stream().map(ActionResult::outcome).toList(), restored.toString());
            assertEquals(planted, TableDump.daemon(db()), "restore puts back exactly what was there");
            assertTrue(remediation.restorer().pending(action.id()).isEmpty());
        } finally {
            Files.deleteIfExists(file);
        }
        // undo the planted drift, so other tests start from the clean dataset
        undo(planted, original);
        assertEquals(original, TableDump.daemon(db()));
    }

    /** Everything but the action's row is identical; a quarantined row is gone, an updated one differs only in refers. */
    private void assertOnlyTargetChanged(Map<String, List<String>> before, Map<String, List<String>> after, PlannedAction a)
            throws Exception {
        for (String table : before.keySet()) {
            List<String> was = before.get(table).stream().filter(r -> !isRow(r, table, a)).toList();
            List<String> now = after.get(table).stream().filter(r -> !isRow(r, table, a)).toList();
            assertEquals(was, now, "untouched rows of " + table);
        }
        List<String> target = after.get(a.table()).stream().filter(r -> isRow(r, a.table(), a)).toList();
        if (a.action() == RemedyAction.QUARANTINE_ROW) {
            assertTrue(target.isEmpty(), "the row is gone from " + a.table());
        } else {
            var old = mapper.readTree(before.get(a.table()).stream().filter(r -> isRow(r, a.table(), a)).findFirst().orElseThrow());
            var now = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(target.get(0));
            long installed = daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE plugin_unique_identifier = ?",
                    a.pluginUniqueIdentifier());
            assertEquals(installed, now.get("refers").asLong());
            assertNotEquals(old.get("refers"), now.get("refers"));
            now.set("refers", old.get("refers"));
            assertEquals(old, now, "only refers changed");
        }
    }

    private boolean isRow(String json, String table, PlannedAction a) {
        return table.equals(a.table()) && json.contains("\"id\":\"" + a.rowId() + "\"");
    }

    private void undo(Map<String, List<String>> planted, Map<String, List<String>> original) {
        TableDump.undo(db(), planted, original);
    }

}
