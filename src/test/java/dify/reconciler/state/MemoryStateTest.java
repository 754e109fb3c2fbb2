package dify.reconciler.state;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.observe.DriftedDaemon;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Report mode with the SELECT-only role: the service cannot create its schema, so it scans and reports with
 * state in memory, and says so everywhere an operator looks.
 */
@QuarkusTest
@WithTestResource(DriftedDaemon.class)
class MemoryStateTest {

    @Test
    void aReadOnlyRoleScansAndReportsWithStateInMemoryAndSaysWhy() throws Exception {
        JsonPath report = scan();
        assertEquals("memory", report.getString("state.mode"));
        assertTrue(report.getString("state.reason").contains("permission denied"), report.getString("state.reason"));
        // Ages are still tracked for the listed findings, in memory. Other tests of this app may have scanned first, so
        // the first scan's count is whatever it is; the next scan of the same drift adds exactly one and keeps firstSeen.
        String kind = report.getString("findings[0].kind");
        Instant firstSeen = Instant.parse(report.getString("findings[0].firstSeen"));
        assertFalse(firstSeen.isAfter(Instant.parse(report.getString("startedAt"))), firstSeen::toString);
        int consecutive = report.getInt("findings[0].consecutiveScans");
        JsonPath next = scan();
        assertEquals(kind, next.getString("findings[0].kind"), "the same drift is listed first");
        assertEquals(consecutive + 1, next.getInt("findings[0].consecutiveScans"), "one more consecutive scan");
        assertEquals(firstSeen, Instant.parse(next.getString("findings[0].firstSeen")), "first seen is kept");

        given().when().get("/q/health/ready").then().statusCode(200).body("checks[0].data.state", equalTo("memory"))
                .body("checks[0].data.stateReason", containsString("permission denied"));
        assertTrue(given().when().get("/q/metrics").asString().contains("plugin_reconciler_state_persisted 0.0"));
        try (Connection c = DriftedDaemonAccess.database().connect();
                ResultSet rs = c.createStatement().executeQuery(
                        "SELECT count(*) FROM pg_namespace WHERE nspname = 'plugin_reconciler'")) {
            rs.next();
            assertEquals(0, rs.getInt(1), "nothing was created in the daemon's database");
        }
        assertFalse(given().when().get("/api/v1/runs").then().statusCode(200).extract().jsonPath().getList("runs").isEmpty());
    }

    private static JsonPath scan() {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"));
        return given().when().get("/api/v1/report").then().statusCode(200).extract().jsonPath();
    }
}
