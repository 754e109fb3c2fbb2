package dify.reconciler.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code reconciler.api.mutating-on=management}: every mutating endpoint answers 404 on the main port (whatever
 * token it carries) and only on the management port, with the same token rules; read-only endpoints stay on main.
 */
@QuarkusTest
@TestProfile(MutatingOnManagementTest.OnManagement.class)
@WithTestResource(dify.reconciler.observe.DriftedDaemon.class)
class MutatingOnManagementTest {

    /** Port 0: a free port, read back from the listener, so parallel builds never collide. */
    public static class OnManagement implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.api.mutating-on", "management", "reconciler.api.management-port", "0");
        }
    }

    private static final String[] MUTATING = {"/api/v1/runs", "/api/v1/actions/some-plan/1/restore", "/api/v1/restore?run=r",
            "/api/v1/breaker/ack?reason=checked"};

    @Inject
    ManagementListener listener;

    @Inject
    Breaker breaker;

    @Test
    void theMainPortAnswersEveryMutatingEndpoint404EvenWithTheToken() {
        for (String path : MUTATING) {
            TestApi.authorized().post(path).then().statusCode(404).body("status", is(404))
                    .body("error", containsString("management port"));
            given().post(path).then().statusCode(404);
            given().header("Authorization", "Bearer wrong").post(path).then().statusCode(404);
        }
    }

    @Test
    void readOnlyEndpointsStayOnTheMainPort() {
        given().get("/api/v1/runs").then().statusCode(200);
        given().get("/api/v1/breaker").then().statusCode(200).body("tripped", is(false));
        given().get("/q/health/live").then().statusCode(200);
        given().get("/q/metrics").then().statusCode(200).body(containsString("plugin_reconciler_"));
    }

    @Test
    void theManagementPortAnswersMutatingEndpointsWithTheTokenOnly() {
        int port = listener.port();
        assertNotEquals(0, port, "the management listener is open");
        assertNotEquals(RestAssured.port, port);
        breaker.trip(new GuardTrip(GuardName.CAP, "a test trip"), "plan-management-port", "run-management-port");
        try {
            assertTrue(breaker.status().tripped());
            TestApi.authorized().post("/api/v1/breaker/ack?reason=on the main port").then().statusCode(404);
            assertTrue(breaker.status().tripped(), "the main port acknowledges nothing");

            given().port(port).post("/api/v1/breaker/ack?reason=checked").then().statusCode(401)
                    .header("WWW-Authenticate", containsString("Bearer"));
            given().port(port).header("Authorization", "Bearer wrong-" + TestApi.TOKEN).post("/api/v1/breaker/ack?reason=checked")
                    .then().statusCode(401);
            assertTrue(breaker.status().tripped(), "neither a missing nor a wrong token acknowledges");

            TestApi.authorized().port(port).post("/api/v1/breaker/ack?reason=checked on the management port").then()
                    .statusCode(200).body("acknowledged", is(1)).body("status.tripped", is(false))
                    .body("events[0].ackReason", is("checked on the management port"));
            assertFalse(breaker.status().tripped());
        } finally {
            if (breaker.status().tripped()) {
                breaker.ack("test cleanup after a failure", "test");
            }
        }
        // Starting a scan works there too, and the main port then shows it.
        String runId = TestApi.authorized().port(port).post("/api/v1/runs").then().statusCode(200).extract().path("runId");
        given().get("/api/v1/runs").then().statusCode(200).body(containsString(runId));
        for (String path : MUTATING) {
            assertEquals(401, given().port(port).post(path).statusCode(), path);
        }
    }
}
