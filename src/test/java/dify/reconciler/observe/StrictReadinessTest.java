package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

/** With {@code reconciler.health.readiness-requires-dependencies=true}, unreachable dependencies make readiness DOWN. */
@QuarkusTest
@TestProfile(UnreachableDependencies.StrictReadiness.class)
class StrictReadinessTest {

    @Test
    void isNotReadyWhileTheDependenciesAreUnreachableButStaysLive() {
        given().when().get("/q/health/ready").then().statusCode(503).body("status", equalTo("DOWN"))
                .body("checks[0].data.database", startsWith("unreachable: "))
                .body("checks[0].data.storage", startsWith("unreachable: "));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        // Metrics are still served while not ready.
        given().when().get("/q/metrics").then().statusCode(200);
    }
}
