package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A failed run with something to lose: the database phase has found drift ({@code package_missing}) when
 * the storage phase fails. The run must say "failed in storage" with no findings, and the service must keep
 * showing the last successful scan, whatever the failure is: a listing error, an OutOfMemoryError or a
 * StackOverflowError.
 */
@QuarkusTest
@TestProfile(BreakableStorageProfile.class)
@WithTestResource(DriftedDaemon.class)
class FailedRunContractTest {

    private static final String PACKAGE_MISSING = "plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\"}";

    @ConfigProperty(name = "PLUGIN_STORAGE_LOCAL_ROOT")
    String localRoot;

    @AfterEach
    void repairStorage() {
        BreakableStorage.failure = null;
        BreakableStorage.gate = null;
    }

    @Test
    void aScanYieldsToADaemonMigrationAndTheNextScanSucceeds() throws Exception {
        double failuresBefore = scanSucceedsWithOnePackageMissing();
        BreakableStorage.listing = new CountDownLatch(1);
        BreakableStorage.gate = new CountDownLatch(1);
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (Connection migration = DriftedDaemon.database.connect()) {
            Future<String> run = background.submit(() -> TestApi.authorized().when().post("/api/v1/runs").then().extract().asString());
            // The scan is in its storage phase, its database transaction still open (tenant_storages streams).
            assertTrue(BreakableStorage.listing.await(30, TimeUnit.SECONDS));
            migration.setAutoCommit(false);
            migration.createStatement().execute("SET application_name = 'dify-plugin-daemon'");
            long t0 = System.nanoTime();
            migration.createStatement().execute("LOCK TABLE plugins IN ACCESS EXCLUSIVE MODE");
            long grantedMillis = (System.nanoTime() - t0) / 1_000_000;
            migration.rollback();
            BreakableStorage.gate.countDown();
            assertTrue(grantedMillis < 1000, "lock granted after " + grantedMillis + " ms");
            String body = run.get(30, TimeUnit.SECONDS);
            assertTrue(body.contains("\"result\":\"failure\""), body);
            assertTrue(body.contains("yielded to a lock request from 'dify-plugin-daemon'"), body);
        } finally {
            BreakableStorage.gate.countDown();
            background.shutdownNow();
        }
        assertEquals(failuresBefore + 1, Exposition.scrape().value("plugin_reconciler_runs_total{result=\"failure\"}"));
        BreakableStorage.gate = null;
        // The pool hands out a working connection again: the terminated one was not reused.
        scanSucceedsWithOnePackageMissing();
    }

    @Test
    void aStoragePhaseThatCannotReadAPrefixFolderFailsTheRunAndKeepsTheLastSuccess() throws IOException {
        double failuresBefore = scanSucceedsWithOnePackageMissing();
        Path installed = Path.of(localRoot, "plugin");
        Path movedAway = Files.move(installed, installed.resolveSibling("plugin.real"));
        try {
            // A volume mounted as a link in place of the folder: never followed, so never read as empty.
            Files.createSymbolicLink(installed, movedAway);
            scanFailsInStorage("is a symbolic link, which is not followed", failuresBefore);
        } finally {
            Files.delete(installed);
            Files.move(movedAway, installed);
        }
    }

    @Test
    void anOutOfMemoryErrorInMidScanIsAFailedRun() {
        double failuresBefore = scanSucceedsWithOnePackageMissing();
        BreakableStorage.failure = new OutOfMemoryError("Java heap space (thrown by the test)");
        scanFailsInStorage("Java heap space (thrown by the test)", failuresBefore);
    }

    @Test
    void aStackOverflowErrorInMidScanIsAFailedRun() {
        double failuresBefore = scanSucceedsWithOnePackageMissing();
        BreakableStorage.failure = new StackOverflowError();
        scanFailsInStorage("StackOverflowError", failuresBefore);
    }

    private static double scanSucceedsWithOnePackageMissing() {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"))
                .body("findings", equalTo(1));
        Exposition m = Exposition.scrape();
        assertEquals(1.0, m.value(PACKAGE_MISSING));
        return m.value("plugin_reconciler_runs_total{result=\"failure\"}");
    }

    private static void scanFailsInStorage(String cause, double failuresBefore) {
        double lastSuccess = Exposition.scrape().value("plugin_reconciler_last_success_timestamp_seconds");
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("failure"))
                .body("failedPhase", equalTo("storage")).body("error", containsString(cause));
        given().when().get("/api/v1/report").then().statusCode(200).body("result", equalTo("failure"))
                .body("failedPhase", equalTo("storage")).body("findings", hasSize(0)).body("summary.size()", equalTo(0));
        given().when().get("/q/health/ready").then().statusCode(200).body("checks[0].data.lastScan", equalTo("failure"));

        Exposition m = Exposition.scrape();
        assertEquals(failuresBefore + 1, m.value("plugin_reconciler_runs_total{result=\"failure\"}"));
        // The gauges still show the last successful scan: a failed scan's partial numbers are not a verdict.
        assertEquals(1.0, m.value(PACKAGE_MISSING));
        assertEquals(lastSuccess, m.value("plugin_reconciler_last_success_timestamp_seconds"));
        assertEquals(3.0, m.value("plugin_reconciler_objects_listed{prefix=\"plugin\"}"));
    }
}
