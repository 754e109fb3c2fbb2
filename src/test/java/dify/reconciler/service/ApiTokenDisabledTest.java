package dify.reconciler.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** No API token configured: every mutating endpoint answers 403 and says why, whatever the request carries. */
@QuarkusTest
@TestProfile(ApiTokenDisabledTest.NoToken.class)
@WithTestResource(dify.reconciler.observe.DriftedDaemon.class)
class ApiTokenDisabledTest {

    public static class NoToken implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.api.token", "");
        }
    }

    @Test
    void mutatingEndpointsAreDisabledWith403() {
        for (String path : new String[] {"/api/v1/runs", "/api/v1/actions/some-action/restore", "/api/v1/restore?run=r"}) {
            TestApi.authorized().post(path).then().statusCode(403).body("status", equalTo(403))
                    .body("error", containsString("mutating endpoints are disabled: no API token is configured"));
            given().post(path).then().statusCode(403);
        }
        given().get("/api/v1/runs").then().statusCode(200);
        given().get("/api/v1/plan").then().statusCode(404).body("error", containsString("no plan yet"));
    }
}
