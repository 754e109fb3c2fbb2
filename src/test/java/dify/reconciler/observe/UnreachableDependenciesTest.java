package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Database and storage unreachable, default health settings: the service stays live and ready (see
 * {@code HealthConfig}), says what is unreachable, and a scan fails visibly without touching the findings.
 */
@QuarkusTest
@TestProfile(UnreachableDependencies.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UnreachableDependenciesTest {

    @Test
    @Order(1)
    void staysReadyAndLiveAndSaysWhatIsUnreachable() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.database", startsWith("unreachable: "))
                .body("checks[0].data.storage", containsString("/nonexistent/reconciler-test-storage does not exist"))
                .body("checks[0].data.readinessRequiresDependencies", equalTo(false));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    @Order(2)
    void aFailedScanIsCountedAndReportedButLeavesTheFindingsAlone() {
        given().when().post("/api/v1/runs").then().statusCode(200).contentType(ContentType.JSON)
                .body("result", equalTo("failure")).body("failedPhase", equalTo("database"))
                .body("findings", nullValue()).body("error", containsString("Connection"));
        Exposition m = Exposition.scrape();
        assertEquals(1.0, m.value("plugin_reconciler_runs_total{result=\"failure\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_runs_total{result=\"success\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_last_success_timestamp_seconds"));
        assertTrue(m.value("plugin_reconciler_last_run_timestamp_seconds") > 0);
        assertEquals(1.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\"}"));
        assertTrue(m.value("plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"error\"}") > 0,
                "the readiness probe's listing of the missing root counts as a failed list");

        given().when().get("/api/v1/findings").then().statusCode(503)
                .body("error", startsWith("no scan has succeeded yet; the last one failed in phase database"));
        given().when().get("/api/v1/report").then().statusCode(200).body("result", equalTo("failure"));
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks[0].data.lastScan", equalTo("failure"))
                .body("checks[0].data.lastScanFailedPhase", equalTo("database"));
    }
}
