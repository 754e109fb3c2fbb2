package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service with {@code RECONCILER_API_MUTATING_ON=management}: the main port (the one a Service exposes)
 * answers the mutating endpoints 404 whatever token they carry and keeps every read-only endpoint, health and
 * metrics; the management port answers them with the token rules (401 without or with a wrong token); the token is
 * never logged. Without the setting nothing listens on the management port and the main port mutates as before; a
 * management port that cannot be bound, or that is the HTTP port, stops the start.
 */
class MutatingOnManagementPortIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "management-port-token-5d1e0b";

    @Test
    void mutatingEndpointsAnswerOnlyOnTheManagementPort(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = seeded(tmp)) {
            int management = S3ProxyServer.freeLoopbackPort();
            Map<String, String> env = env(db, tmp);
            env.put("RECONCILER_API_MUTATING_ON", "management");
            env.put("RECONCILER_API_MANAGEMENT_PORT", Integer.toString(management));
            try (RunningService service = RunningService.start(env)) {
                for (String path : new String[] {"/api/v1/runs", "/api/v1/actions/p/1/restore", "/api/v1/restore?run=r",
                        "/api/v1/breaker/ack?reason=checked"}) {
                    assertEquals(404, service.post(path, TOKEN).statusCode(), path);
                    assertEquals(404, service.post(path, null).statusCode(), path);
                }
                assertEquals("[]", JSON.readTree(service.get("/api/v1/runs").body()).get("runs").toString(),
                        "the main port started no scan");
                assertEquals(200, service.get("/q/health/ready").statusCode());
                assertTrue(service.get("/q/metrics").body().contains("plugin_reconciler_info"));

                assertEquals(401, service.post(management, "/api/v1/runs", null).statusCode());
                assertEquals(401, service.post(management, "/api/v1/runs", "wrong-" + TOKEN).statusCode());
                HttpResponse<String> started = service.post(management, "/api/v1/runs", TOKEN);
                assertEquals(200, started.statusCode(), started.body());
                String runId = JSON.readTree(started.body()).get("runId").asText();
                assertTrue(service.get("/api/v1/runs").body().contains(runId), "the scan shows on the main port");

                String log = service.log();
                assertTrue(log.contains("answer only on the management port 0.0.0.0:" + management), log);
                assertFalse(log.contains(TOKEN), "the token is never logged");
            }
        }
    }

    @Test
    void byDefaultNothingListensOnTheManagementPortAndTheMainPortMutates(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = seeded(tmp)) {
            int management = S3ProxyServer.freeLoopbackPort();
            Map<String, String> env = env(db, tmp);
            env.put("RECONCILER_API_MANAGEMENT_PORT", Integer.toString(management));
            try (RunningService service = RunningService.start(env)) {
                assertEquals(200, service.post("/api/v1/runs", TOKEN).statusCode());
                assertEquals(401, service.post("/api/v1/runs", null).statusCode());
                assertThrows(ConnectException.class, () -> service.post(management, "/api/v1/runs", TOKEN));
            }
        }
    }

    @Test
    void aManagementPortInUseStopsTheStart(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = seeded(tmp); ServerSocket taken = new ServerSocket(0)) {
            Map<String, String> env = env(db, tmp);
            env.put("RECONCILER_API_MUTATING_ON", "management");
            env.put("RECONCILER_API_MANAGEMENT_PORT", Integer.toString(taken.getLocalPort()));
            IllegalStateException failed = assertThrows(IllegalStateException.class, () -> RunningService.start(env));
            assertTrue(failed.getMessage().contains("cannot open the management port 0.0.0.0:" + taken.getLocalPort()
                    + " (reconciler.api.management-port)"), failed.getMessage());
        }
    }

    @Test
    void aManagementPortEqualToTheHttpPortStopsTheStart(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = seeded(tmp)) {
            Map<String, String> env = env(db, tmp);
            env.put("RECONCILER_API_MUTATING_ON", "management");
            // An expression, as a deployment could write it: the same port as the HTTP server, whatever that is.
            // Vert.x would share such a port between both servers and serve the mutating endpoints on it by turns.
            env.put("RECONCILER_API_MANAGEMENT_PORT", "${PORT}");
            IllegalStateException failed = assertThrows(IllegalStateException.class, () -> RunningService.start(env));
            assertTrue(failed.getMessage().contains("must differ from the main HTTP port"), failed.getMessage());
        }
    }

    private static TestDatabase seeded(Path tmp) throws IOException {
        TestDatabase db = SchemaFixture.CURRENT.newDatabase();
        new DifyDataset(1, 2, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), new LocalObjectWriter(tmp.resolve("storage")),
                StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
        return db;
    }

    private static Map<String, String> env(TestDatabase db, Path tmp) {
        Map<String, String> env = db.ownerEnvironment(tmp.resolve("storage"));
        env.put("RECONCILER_INTERVAL", "off");
        env.put("RECONCILER_API_TOKEN", TOKEN);
        return env;
    }
}
