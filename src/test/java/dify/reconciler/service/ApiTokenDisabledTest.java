package dify.reconciler.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.api.RunsResource;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
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

    /**
     * Every POST endpoint of the API, with a request that would be valid with a token (required parameters present),
     * so a 403 can only come from the missing token, not from a 400 for a missing parameter.
     */
    private static final Map<String, String> MUTATING = Map.of(
            "/api/v1/runs", "/api/v1/runs",
            "/api/v1/actions/{id}/restore", "/api/v1/actions/some-action/restore",
            "/api/v1/restore", "/api/v1/restore?run=r",
            "/api/v1/breaker/ack", "/api/v1/breaker/ack?reason=checked",
            "/api/v1/plans/{id}/approve", "/api/v1/plans/some-plan/approve",
            "/api/v1/remediation/suspend", "/api/v1/remediation/suspend?reason=maintenance",
            "/api/v1/remediation/resume", "/api/v1/remediation/resume");

    @Test
    void mutatingEndpointsAreDisabledWith403() {
        assertEquals(new TreeSet<>(MUTATING.keySet()), postEndpointsOfTheApi(), "every POST endpoint of the API is tried here");
        for (String request : new TreeMap<>(MUTATING).values()) {
            var withToken = TestApi.authorized().post(request);
            assertEquals(403, withToken.statusCode(), "POST " + request + " with a token: " + withToken.asString());
            withToken.then().body("status", equalTo(403))
                    .body("error", containsString("mutating endpoints are disabled: no API token is configured"));
            assertEquals(403, given().post(request).statusCode(), "POST " + request + " without a token");
        }
        given().get("/api/v1/runs").then().statusCode(200);
        // The web console reads this to say it is read-only, and why.
        given().get("/api/v1/status").then().statusCode(200).body("tokenConfigured", equalTo(false))
                .body("mutationsHere", equalTo(true));
        given().get("/api/v1/plan").then().statusCode(404).body("error", containsString("no plan yet"));
        given().get("/api/v1/breaker").then().statusCode(200);
    }

    /** The paths of every {@code @POST} method of the resources in the API's package (read from its compiled class files). */
    private static Set<String> postEndpointsOfTheApi() {
        Set<String> paths = new TreeSet<>();
        String pkg = RunsResource.class.getPackageName();
        // Maven runs tests in the project folder; the compiled API classes are there, one file per class.
        java.nio.file.Path folder = java.nio.file.Path.of("target", "classes").resolve(pkg.replace('.', '/'));
        try (Stream<java.nio.file.Path> files = Files.list(folder)) {
            for (String file : files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class")).toList()) {
                Class<?> type = Class.forName(pkg + "." + file.substring(0, file.length() - ".class".length()));
                Path base = type.getAnnotation(Path.class);
                if (base == null) {
                    continue;
                }
                for (Method m : type.getDeclaredMethods()) {
                    if (m.isAnnotationPresent(POST.class)) {
                        Path sub = m.getAnnotation(Path.class);
                        paths.add((base.value() + (sub == null ? "" : sub.value())).replaceAll("\\{(\\w+):[^}]*}", "{$1}"));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return paths;
    }
}
