package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.root;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.metrics.MetricNames;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.guard.BreakerEvent;
import dify.reconciler.remediate.guard.BreakerStatus;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.BreakerCommand;
import dify.reconciler.run.RemediationCommand;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.CapturedCommand;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestApi;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guards that stop a whole plan, against the real database and folder: a cap trips the breaker, which stops
 * every later plan and apply until {@code breaker ack}; an empty or shrunk listing, an unknown table naming
 * packages and a failed scan stop the plan while a finding is otherwise actionable (an orphaned endpoint). Every
 * trip is counted in {@code plugin_reconciler_guard_trips_total{guard}}. That the breaker survives a restart is
 * BreakerRestartIT (the packaged jar, a new process each step).
 */
@QuarkusTest
@TestProfile(SharedProfiles.Command.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class GuardsTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.ENDPOINT_ORPHANED);
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
    BreakerCommand breakerCommand;

    @Inject
    Breaker breaker;

    @Inject
    MeterRegistry registry;

    @Inject
    ObjectMapper mapper;

    @Test
    void aCapTripsTheBreakerWhichStopsEveryPlanAndApplyUntilAcknowledged(@TempDir Path tmp) throws Exception {
        List<String> hooks = orphanedEndpoints(3);
        try {
            double capTrips = trips(GuardName.CAP);
            double breakerTrips = trips(GuardName.BREAKER);
            RemediationPolicy configured = remediation.policy();
            RemediationPolicy maxTwo = new RemediationPolicy(false, configured.allowed(), 1, configured.minAge(), configured.minAgeInfo(),
                    2, 1.0, configured.planTtl());
            RemediationPlan capped = remediation.plan(scan(runner), maxTwo);
            assertEquals(List.of(GuardName.CAP), guards(capped));
            assertTrue(capped.actions().isEmpty(), capped.toString());
            assertEquals(capTrips + 1, trips(GuardName.CAP));
            BreakerStatus status = breaker.status();
            assertTrue(status.tripped());
            assertEquals("persisted", status.storage());
            assertEquals(List.of(capped.planId()), status.open().stream().map(BreakerEvent::planId).toList());
            assertEquals(1.0, breakerGauge());
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.breaker_events WHERE acked_at IS NULL"
                    + " AND guard = 'cap' AND plan_id = ?", capped.planId()));

            // The configured cap (50) would allow all three: the breaker, not the cap, stops the plan now.
            Path planFile = tmp.resolve("plan.json");
            assertEquals(0, command.plan("--output", planFile.toString()), "exit 0: no actions");
            JsonNode doc = mapper.readTree(planFile.toFile());
            assertEquals("breaker", doc.at("/guards/0/guard").asText(), doc.toString());
            assertEquals(0, doc.get("actions").size());
            assertTrue(doc.get("withheld").toString().contains("\"reason\":\"guard\""), doc.toString());
            assertEquals(breakerTrips + 1, trips(GuardName.BREAKER));
            assertEquals(capTrips + 1, trips(GuardName.CAP), "the breaker's plan does not count as a new cap trip");

            CapturedCommand refused = CapturedCommand.of(() -> command.apply("--plan", planFile.toString()));
            assertEquals(2, refused.exit());
            assertTrue(refused.err().contains("the remediation breaker is tripped"), refused.err());

            CapturedCommand shown = CapturedCommand.of(() -> breakerCommand.run("status"));
            assertEquals(0, shown.exit());
            assertTrue(
                    shown.out().startsWith("Breaker: TRIPPED (state persisted)") && shown.out().contains(" cap (plan " + capped.planId()),
                    shown.out());
            assertEquals(2, CapturedCommand.of(() -> breakerCommand.run("ack")).exit(), "a reason is required");
            assertThrows(IllegalArgumentException.class, () -> breaker.ack(" ", "test"));
            assertTrue(breaker.status().tripped());

            CapturedCommand acked = CapturedCommand.of(() -> breakerCommand.run("ack", "--reason", "three test endpoints, expected"));
            assertEquals(0, acked.exit(), acked.err());
            assertTrue(acked.out().contains("acknowledged 1 trip(s)"), acked.out());
            assertEquals(0.0, breakerGauge());
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.breaker_events WHERE plan_id = ?"
                    + " AND ack_reason = 'three test endpoints, expected' AND acked_by LIKE 'cli:%' AND acked_at IS NOT NULL",
                    capped.planId()));

            RemediationPlan after = remediation.plan(scan(runner));
            assertEquals(List.of(), after.guards());
            assertEquals(3, after.actions().size(), after.toString());
        } finally {
            if (breaker.status().tripped()) {
                breaker.ack("test cleanup after a failure", "test"); // the other tests start untripped
            }
            delete(hooks);
        }
    }

    @Test
    void theBreakerIsShownAndAcknowledgedOverHttpOnlyWithTheToken() throws Exception {
        List<String> hooks = orphanedEndpoints(3);
        try {
            RemediationPolicy configured = remediation.policy();
            RemediationPolicy maxTwo = new RemediationPolicy(false, configured.allowed(), 1, configured.minAge(), configured.minAgeInfo(),
                    2, 1.0, configured.planTtl());
            RemediationPlan capped = remediation.plan(scan(runner), maxTwo);
            assertEquals(List.of(GuardName.CAP), guards(capped));

            io.restassured.RestAssured.get("/api/v1/breaker").then().statusCode(200).body("tripped", org.hamcrest.Matchers.is(true))
                    .body("open[0].planId", org.hamcrest.Matchers.is(capped.planId()));
            io.restassured.RestAssured.post("/api/v1/breaker/ack?reason=checked").then().statusCode(401);
            io.restassured.RestAssured.given().header("Authorization", "Bearer wrong-" + TestApi.TOKEN)
                    .post("/api/v1/breaker/ack?reason=checked").then().statusCode(401);
            assertTrue(breaker.status().tripped(), "neither a missing nor a wrong token acknowledges");
            TestApi.authorized().post("/api/v1/breaker/ack").then().statusCode(400);
            assertTrue(breaker.status().tripped(), "no acknowledgement without a reason");

            TestApi.authorized().post("/api/v1/breaker/ack?reason=three test endpoints over http").then().statusCode(200)
                    .body("acknowledged", org.hamcrest.Matchers.is(1)).body("status.tripped", org.hamcrest.Matchers.is(false));
            assertEquals(0.0, breakerGauge());
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.breaker_events WHERE plan_id = ?"
                    + " AND ack_reason = 'three test endpoints over http' AND acked_by = 'api'", capped.planId()));
            io.restassured.RestAssured.get("/api/v1/breaker").then().statusCode(200).body("tripped", org.hamcrest.Matchers.is(false));
        } finally {
            if (breaker.status().tripped()) {
                breaker.ack("test cleanup after a failure", "test");
            }
            delete(hooks);
        }
    }

    @Test
    void anEmptyPackagesListingStopsThePlan() throws Exception {
        List<String> hooks = orphanedEndpoints(1);
        Path packages = root().resolve(StorageLayout.label(StorageLayout.DEFAULT.packages()));
        Path aside = root().resolve("aside-packages");
        Map<String, List<String>> before = TableDump.daemon(DriftedDaemonAccess.database());
        try {
            assertEquals(1, remediation.plan(scan(runner)).actions().size(), "actionable with the bucket in place");
            double empty = trips(GuardName.EMPTY_LISTING);
            Files.move(packages, aside);
            Files.createDirectory(packages);
            RemediationPlan plan = remediation.plan(scan(runner));
            assertEquals(List.of(GuardName.EMPTY_LISTING), guards(plan));
            assertTrue(plan.guards().get(0).detail().startsWith("plugin_packages/ listed no objects while "), plan.guards().toString());
            assertGuardedOnly(plan);
            assertEquals(empty + 1, trips(GuardName.EMPTY_LISTING));
            CapturedCommand text = CapturedCommand.of(() -> command.plan("--format", "text"));
            assertEquals(0, text.exit(), text.err());
            assertTrue(text.out().contains("  GUARD empty_listing: plugin_packages/ listed no objects"), text.out());
            assertTrue(text.out().contains("withheld guard endpoint_orphaned endpoints/"), text.out());
            assertEquals(before, TableDump.daemon(DriftedDaemonAccess.database()), "planning changed nothing");
        } finally {
            if (Files.isDirectory(aside)) {
                Files.delete(packages);
                Files.move(aside, packages);
            }
            delete(hooks);
        }
    }

    @Test
    void aShrunkInstalledListingStopsThePlan() throws Exception {
        List<String> hooks = orphanedEndpoints(1);
        Path installed = root().resolve(StorageLayout.label(StorageLayout.DEFAULT.installed()));
        Path aside = Files.createTempDirectory("aside-installed");
        List<Path[]> moved = new ArrayList<>();
        try {
            assertEquals(1, remediation.plan(scan(runner)).actions().size(), "actionable with every installed copy in place");
            List<Path> objects;
            try (Stream<Path> files = Files.walk(installed)) {
                objects = files.filter(Files::isRegularFile).sorted().toList();
            }
            assertTrue(objects.size() >= 3, "the dataset installs 3 local plugins: " + objects);
            // Keep one: not empty, but below half of the recent maximum (recorded by the scans above).
            for (Path p : objects.subList(1, objects.size())) {
                Path to = aside.resolve(UUID.randomUUID().toString());
                Files.move(p, to);
                moved.add(new Path[] {p, to});
            }
            double shrunk = trips(GuardName.SHRUNK_LISTING);
            RemediationPlan plan = remediation.plan(scan(runner));
            assertEquals(List.of(GuardName.SHRUNK_LISTING), guards(plan));
            assertTrue(plan.guards().get(0).detail().startsWith("plugin/ listed 1 objects, below half of its recent maximum "
                    + objects.size()), plan.guards().toString());
            assertGuardedOnly(plan);
            assertEquals(shrunk + 1, trips(GuardName.SHRUNK_LISTING));
        } finally {
            for (Path[] m : moved) {
                Files.move(m[1], m[0]);
            }
            Files.delete(aside);
            delete(hooks);
        }
    }

    @Test
    void anUnknownTableWithAnIdentifierColumnStopsThePlan() throws Exception {
        List<String> hooks = orphanedEndpoints(1);
        try {
            // A newer daemon that keeps package references somewhere we do not know.
            daemon().execute("CREATE TABLE plugin_mirrors (id uuid PRIMARY KEY, plugin_unique_identifier varchar(255))");
            double unknown = trips(GuardName.UNKNOWN_SCHEMA);
            RemediationPlan plan = remediation.plan(scan(runner));
            assertEquals(List.of(GuardName.UNKNOWN_SCHEMA), guards(plan));
            assertTrue(plan.guards().get(0).detail().startsWith("unknown table plugin_mirrors has a plugin_unique_identifier column"),
                    plan.guards().toString());
            assertGuardedOnly(plan);
            assertEquals(unknown + 1, trips(GuardName.UNKNOWN_SCHEMA));
        } finally {
            daemon().execute("DROP TABLE IF EXISTS plugin_mirrors");
            delete(hooks);
        }
    }

    @Test
    void aFailedScanMakesNoPlanAndIsCounted(@TempDir Path tmp) throws Exception {
        List<String> hooks = orphanedEndpoints(1);
        try {
            double failed = trips(GuardName.FAILED_SCAN);
            // The daemon's schema is one we cannot read: the scan fails.
            daemon().execute("ALTER TABLE endpoints RENAME COLUMN hook_id TO hook");
            ScanReport report = runner.scanIfIdle().orElseThrow();
            assertTrue(!report.succeeded(), "the scan failed");
            assertThrows(IllegalStateException.class, () -> remediation.plan(report));
            assertEquals(failed + 1, trips(GuardName.FAILED_SCAN));

            Path file = tmp.resolve("plan.json");
            CapturedCommand plan = CapturedCommand.of(() -> command.plan("--output", file.toString()));
            assertEquals(2, plan.exit());
            assertTrue(plan.err().contains("no plan is made from a failed scan"), plan.err());
            assertTrue(Files.notExists(file), "no plan written");
            assertEquals(failed + 2, trips(GuardName.FAILED_SCAN));
        } finally {
            daemon().execute("ALTER TABLE endpoints RENAME COLUMN hook TO hook_id");
            delete(hooks);
        }
    }

    // --- helpers ---

    /** No actions; the orphaned endpoints, otherwise actionable, are withheld by the guard. */
    private static void assertGuardedOnly(RemediationPlan plan) {
        assertTrue(plan.actions().isEmpty(), plan.toString());
        assertTrue(plan.withheld().stream().allMatch(w -> w.reason() == WithheldReason.GUARD), plan.withheld().toString());
        assertTrue(plan.withheld().stream().anyMatch(w -> w.kind() == FindingKind.ENDPOINT_ORPHANED), plan.withheld().toString());
    }

    private static List<GuardName> guards(RemediationPlan plan) {
        return plan.guards().stream().map(GuardTrip::guard).toList();
    }

    private double trips(GuardName guard) {
        return registry.get(MetricNames.GUARD_TRIPS).tag(MetricNames.TAG_GUARD, guard.label()).counter().count();
    }

    private double breakerGauge() {
        return registry.get(MetricNames.BREAKER_TRIPPED).gauge().value();
    }

    private List<String> orphanedEndpoints(int n) {
        List<String> hooks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            hooks.add("hook-" + UUID.randomUUID());
            daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hooks.get(i), "default");
        }
        return hooks;
    }

    private void delete(List<String> hooks) {
        for (String hook : hooks) {
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
    }

}
