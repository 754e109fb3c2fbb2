package dify.reconciler.doctor;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.cli.CommandRunner;
import dify.reconciler.observe.DriftedDaemon;
import dify.reconciler.remediate.DaemonRedis;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.RedisServer;
import dify.reconciler.testsupport.SecretForms;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code doctor} and {@code GET /api/v1/doctor} in the started application, armed, as the daemon's owner (state
 * persisted), on local storage, with the daemon's Redis: every line ok (exit 0), the JSON shape, the text form, the
 * API's answer the command's, and no secret in either.
 */
@QuarkusTest
@TestProfile(DoctorCommandAndApiTest.Armed.class)
@WithTestResource(value = DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class DoctorCommandAndApiTest {

    /** A one-shot process, armed for two row kinds. */
    public static class Armed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.mode", "scan", "reconciler.remediation.dry-run", "false", "reconciler.remediation.kinds",
                    "refers_too_low,endpoint_orphaned");
        }
    }

    static final List<String> ARMED_LINES = List.of("configuration", "database", "daemon schema", "grants (report mode)",
            "grants (armed)", "lock watch", "state", "storage plugin_packages/", "storage plugin/", "storage assets/",
            "storage persistence/", "storage write probe", "storage key with ':' and '@'", "redis", "leader lock", "clock skew",
            "approval", "windows", "suspension");

    /** Lines whose detail differs from run to run (random probe keys, sessions, timings). */
    static final Set<String> VARYING = Set.of("lock watch", "storage write probe", "storage key with ':' and '@'", "clock skew");

    @Inject
    CommandRunner commands;

    @Inject
    ObjectMapper mapper;

    private record Run(int exitCode, String stdout) {
    }

    private Run doctor(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int code;
        try (PrintStream capture = new PrintStream(buffer, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            String[] line = new String[args.length + 1];
            line[0] = "doctor";
            System.arraycopy(args, 0, line, 1, args.length);
            code = commands.run(line);
        } finally {
            System.setOut(original);
        }
        return new Run(code, buffer.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyArmedPreconditionHoldsAndTheApiAnswersTheCommandsJson() throws Exception {
        Run json = doctor("--format", "json");
        JsonNode command = mapper.readTree(json.stdout());
        assertEquals(List.of("checks"), names(command), json.stdout());
        List<String> lines = new ArrayList<>();
        for (JsonNode check : command.get("checks")) {
            assertEquals(Set.of("name", "status", "detail", "fix"), new TreeSet<>(names(check)), check.toString());
            assertEquals("ok", check.get("status").asText(), check.toString());
            assertTrue(check.get("fix").isNull(), check.toString());
            lines.add(check.get("name").asText());
        }
        assertEquals(ARMED_LINES, lines);
        assertEquals(0, json.exitCode(), json.stdout());
        assertTrue(command.get("checks").get(0).get("detail").asText().contains("armed (reconciler.remediation.dry-run=false) for"),
                json.stdout());

        String body = TestApi.authorized().when().get("/api/v1/doctor").then().statusCode(200).contentType("application/json")
                .extract().asString();
        JsonNode api = mapper.readTree(body);
        assertEquals(command.get("checks").size(), api.get("checks").size(), body);
        for (int i = 0; i < api.get("checks").size(); i++) {
            JsonNode a = api.get("checks").get(i);
            JsonNode c = command.get("checks").get(i);
            assertEquals(c.get("name"), a.get("name"));
            assertEquals(c.get("status"), a.get("status"), body);
            assertEquals(c.get("fix"), a.get("fix"));
            if (!VARYING.contains(c.get("name").asText())) {
                assertEquals(c.get("detail"), a.get("detail"));
            }
        }

        // Without the token the API's doctor writes nothing: the two probe lines say so, every other line is answered.
        String anonymous = given().when().get("/api/v1/doctor").then().statusCode(200).extract().asString();
        JsonNode unauthenticated = mapper.readTree(anonymous);
        assertEquals(command.get("checks").size(), unauthenticated.get("checks").size(), anonymous);
        for (JsonNode check : unauthenticated.get("checks")) {
            String name = check.get("name").asText();
            if (name.startsWith("storage write probe") || name.startsWith("storage key with")) {
                assertTrue(check.get("detail").asText().startsWith("skipped: a request without the API token writes nothing"),
                        anonymous);
            }
        }
        assertTrue(unauthenticated.toString().contains("storage not measured in report mode or without the write probe"),
                anonymous);

        Run text = doctor();
        assertEquals(0, text.exitCode(), text.stdout());
        assertTrue(text.stdout().contains("OK   database: reachable: PostgreSQL "), text.stdout());
        assertTrue(text.stdout().endsWith("doctor: 19 check(s), 0 warning(s), 0 failure(s)" + System.lineSeparator()), text.stdout());

        for (String output : List.of(json.stdout(), body, text.stdout())) {
            for (String secret : List.of(EmbeddedPostgres.DAEMON_PASSWORD, RedisServer.PASSWORD)) {
                assertEquals(List.of(), SecretForms.findIn(output, secret, List.of(EmbeddedPostgres.DAEMON_USER, "default")));
            }
            assertFalse(output.contains("Exception"), output);
        }
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
