package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged service, restarted between two scans of the same drift: first-seen times, consecutive counts
 * and the run history come back from our schema; the restarted service's gauges start where the last run
 * left them; a finding fixed while it was down closes its ledger entry at the next scan.
 */
class StateSurvivesRestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void firstSeenTimesCountsAndRunHistorySurviveARestart(@TempDir Path tmp) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Path root = tmp.resolve("storage");
            LocalObjectWriter objects = new LocalObjectWriter(root);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES)
                    .seed(DaemonRows.on(db), objects, StorageLayout.DEFAULT, Instant.now().minus(Duration.ofDays(1)));
            Files.delete(objects.resolve(dataset.localPlugin(0).pkg().key(StorageLayout.DEFAULT.packages())));
            DaemonRows daemon = DaemonRows.on(db);
            daemon.execute("UPDATE plugins SET refers = refers + 1 WHERE install_type = 'serverless'");

            Map<String, String> env = db.ownerEnvironment(root);
            env.put("RECONCILER_INTERVAL", "off");
            env.put("RECONCILER_API_TOKEN", "state-survives-restart-token");

            String firstRun;
            String packageMissingSince;
            try (RunningService before = RunningService.start(env)) {
                firstRun = JSON.readTree(before.post("/api/v1/runs").body()).get("runId").asText();
                JsonNode report = JSON.readTree(before.get("/api/v1/report").body());
                assertEquals("persisted", report.get("state").get("mode").asText(), report.toString());
                JsonNode missing = finding(report, "package_missing");
                packageMissingSince = missing.get("firstSeen").asText();
                assertEquals(1, missing.get("consecutiveScans").asInt());
                assertEquals(1, finding(report, "refers_drift").get("consecutiveScans").asInt());
                before.stop();
            }

            daemon.execute("UPDATE plugins SET refers = refers - 1 WHERE install_type = 'serverless'"); // fixed while down

            try (RunningService after = RunningService.start(env)) {
                JsonNode runs = JSON.readTree(after.get("/api/v1/runs").body()).get("runs");
                assertEquals(1, runs.size(), runs.toString());
                assertEquals(firstRun, runs.get(0).get("runId").asText());
                String metrics = awaitRestoredMetrics(after);
                assertEquals(Instant.parse(packageMissingSince).getEpochSecond(),
                        value(metrics, "plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}"), metrics);
                assertEquals(1.0, value(metrics, "plugin_reconciler_findings{kind=\"refers_drift\",severity=\"warning\"}"),
                        "the last successful scan's counts, until the next scan");

                after.post("/api/v1/runs");
                JsonNode report = JSON.readTree(after.get("/api/v1/report").body());
                JsonNode missing = finding(report, "package_missing");
                assertEquals(packageMissingSince, missing.get("firstSeen").asText());
                assertEquals(2, missing.get("consecutiveScans").asInt());
                assertEquals(1, report.get("summary").get("total").asInt(), report.toString());
                assertEquals(2, JSON.readTree(after.get("/api/v1/runs").body()).get("runs").size());
            }
            try (Connection c = db.connect();
                    ResultSet rs = c.createStatement().executeQuery(
                            "SELECT closed_at IS NOT NULL, consecutive_scans FROM plugin_reconciler.finding_ledger WHERE kind = 'refers_drift'")) {
                assertTrue(rs.next());
                assertTrue(rs.getBoolean(1), "the fixed finding's entry is closed");
                assertEquals(1, rs.getInt(2));
            }
        }
    }

    private static JsonNode finding(JsonNode report, String kind) {
        for (JsonNode f : report.get("findings")) {
            if (kind.equals(f.get("kind").asText())) {
                return f;
            }
        }
        throw new AssertionError("no " + kind + " in " + report);
    }

    /** The value of one series in a Prometheus text exposition (with or without a comma after the last label). */
    private static double value(String metrics, String series) {
        return metrics.lines().map(l -> l.replace(",}", "}")).filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError(series + " not exported"));
    }

    /** Metrics are restored in the background right after start-up; wait (briefly) for them. */
    private static String awaitRestoredMetrics(RunningService service) throws Exception {
        String metrics = "";
        for (int i = 0; i < 50; i++) {
            metrics = service.get("/q/metrics").body();
            if (metrics.contains("plugin_reconciler_state_persisted 1.0")
                    && !metrics.contains("plugin_reconciler_last_success_timestamp_seconds 0.0")) {
                return metrics;
            }
            Thread.sleep(100);
        }
        return metrics;
    }
}
