package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.testsupport.DifyDataset;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end in the running service: a daemon with one planted drift ({@link DriftedDaemon}), scans started
 * through the API, and the exact metrics, health and API answers that follow. Ordered: the first test sees
 * the service before any scan.
 */
@QuarkusTest
@WithTestResource(DriftedDaemon.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ObservabilityTest {

    private static final String PACKAGE_MISSING = "plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\"}";

    @Test
    @Order(1)
    void exportsEverySeriesAtZeroBeforeTheFirstScan() {
        Exposition m = Exposition.scrape();
        for (FindingKind kind : FindingKind.values()) {
            assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"" + kind.label() + "\",severity=\""
                    + kind.severity().label() + "\"}"), kind.label());
            assertEquals(0.0, m.value("plugin_reconciler_finding_bytes{kind=\"" + kind.label() + "\"}"), kind.label());
            assertEquals(0.0, m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"" + kind.label() + "\"}"));
        }
        assertEquals(0.0, m.value("plugin_reconciler_runs_total{result=\"success\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_runs_total{result=\"failure\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_last_run_timestamp_seconds"));
        assertEquals(0.0, m.value("plugin_reconciler_last_success_timestamp_seconds"));
        assertEquals(0.0, m.value("plugin_reconciler_interval_seconds"), "reconciler.interval=off");
        assertEquals(1.0, m.value("plugin_reconciler_configuration_valid"), "a service that started has a valid configuration");
        assertEquals(0.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_objects_listed{prefix=\"plugin_packages\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_storage_requests_total{operation=\"head\",outcome=\"error\"}"));
        assertEquals("plugin_reconciler_info{mode=\"service\",storage_type=\"local\",version=\"0.1.0-SNAPSHOT\",} 1.0",
                m.line("plugin_reconciler_info{mode=\"service\",storage_type=\"local\",version=\"0.1.0-SNAPSHOT\"}")
                        .orElseThrow());
    }

    @Test
    @Order(1)
    void answersServiceUnavailableBeforeTheFirstScan() {
        given().when().get("/api/v1/report").then().statusCode(503).contentType(ContentType.JSON)
                .body("status", equalTo(503)).body("error", startsWith("no scan has completed yet"));
        given().when().get("/api/v1/findings").then().statusCode(503).contentType(ContentType.JSON)
                .body("error", startsWith("no scan has completed yet"));
        given().when().get("/api/v1/runs").then().statusCode(200).body("runs", hasSize(0)).body("scanning", equalTo(false));
        given().when().get("/q/health/ready").then().statusCode(200).body("checks[0].data.lastScan", equalTo("none yet"));
    }

    @Test
    @Order(2)
    void aScanRequestedThroughTheApiRunsAndReturnsTheRun() {
        Instant before = Instant.now();
        JsonPath run = given().when().post("/api/v1/runs").then().statusCode(200).contentType(ContentType.JSON)
                .body("result", equalTo("success")).body("findings", equalTo(1)).body("bySeverity.critical", equalTo(1))
                .extract().jsonPath();
        assertTrue(Instant.parse(run.getString("startedAt")).compareTo(before) >= 0);
    }

    @Test
    @Order(3)
    void exportsTheExactFindingsOfTheLastScan() {
        Exposition m = Exposition.scrape();
        // Exactly as scraped (simpleclient's text format 0.0.4 puts a comma after the last label).
        assertEquals("plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\",} 1.0",
                m.line(PACKAGE_MISSING).orElseThrow());
        for (FindingKind kind : FindingKind.values()) {
            if (kind != FindingKind.PACKAGE_MISSING) {
                assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"" + kind.label() + "\",severity=\""
                        + kind.severity().label() + "\"}"), kind.label());
            }
        }
        assertEquals("plugin_reconciler_runs_total{result=\"success\",} 1.0",
                m.line("plugin_reconciler_runs_total{result=\"success\"}").orElseThrow());
        assertEquals("plugin_reconciler_runs_total{result=\"failure\",} 0.0",
                m.line("plugin_reconciler_runs_total{result=\"failure\"}").orElseThrow());
        assertEquals(1.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}"));
        assertEquals(1.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"storage\"}"));
        assertEquals(1.0, m.value("plugin_reconciler_run_duration_seconds_bucket{phase=\"total\",le=\"+Inf\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"verify\"}"), "deep verify is off");

        long now = Instant.now().getEpochSecond();
        double lastSuccess = m.value("plugin_reconciler_last_success_timestamp_seconds");
        assertTrue(lastSuccess > now - 120 && lastSuccess <= now, "last success " + lastSuccess);
        assertEquals(lastSuccess, m.value("plugin_reconciler_last_run_timestamp_seconds"));
        double oldest = m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}");
        assertTrue(oldest > now - 120 && oldest <= lastSuccess, "oldest " + oldest);
        assertEquals(0.0, m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"installed_object_missing\"}"));

        // 3 local + 1 serverless package seeded, one deleted; 3 installed copies; one icon per package.
        assertEquals(3.0, m.value("plugin_reconciler_objects_listed{prefix=\"plugin_packages\"}"));
        assertEquals(3.0, m.value("plugin_reconciler_objects_listed{prefix=\"plugin\"}"));
        assertEquals(4.0, m.value("plugin_reconciler_objects_listed{prefix=\"assets\"}"));
        // 3 local + serverless + remote plugin rows; installations: 3 local x 2 tenants + serverless + remote.
        assertEquals(5.0, m.value("plugin_reconciler_rows_scanned{table=\"plugins\"}"));
        assertEquals(8.0, m.value("plugin_reconciler_rows_scanned{table=\"plugin_installations\"}"));
        assertTrue(m.value("plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"ok\"}") > 0);
        assertEquals(0.0, m.value("plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"error\"}"));
    }

    @Test
    @Order(4)
    void keepsTheFirstSeenTimeOfAFindingAcrossScans() {
        double first = Exposition.scrape().value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}");
        given().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"));
        Exposition m = Exposition.scrape();
        assertEquals(2.0, m.value("plugin_reconciler_runs_total{result=\"success\"}"));
        assertEquals(first, m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}"));
        given().when().get("/api/v1/runs").then().statusCode(200).body("runs", hasSize(2))
                .body("runs.result", contains("success", "success")).body("runs[0].findings", equalTo(1));
    }

    @Test
    @Order(5)
    void filtersAndPagesFindings() {
        DifyDataset.Plugin broken = DriftedDaemon.dataset.localPlugin(0);
        given().queryParam("kind", "package_missing").when().get("/api/v1/findings").then().statusCode(200)
                .body("total", equalTo(1)).body("offset", equalTo(0)).body("limit", equalTo(100))
                .body("latestRunFailed", equalTo(false)).body("findingsTruncated", equalTo(false))
                .body("findings[0].kind", equalTo("package_missing"))
                .body("findings[0].severity", equalTo("critical"))
                .body("findings[0].pluginUniqueIdentifier", equalTo(broken.uid()))
                .body("findings[0].pluginId", equalTo(broken.pluginId()))
                // The declaration row's version as read; an object's facts (size, lastModified, etag) are omitted.
                .body("findings[0].observed.keySet()", contains("changedAt"))
                .body("findings[0].observed.changedAt", matchesPattern("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:[0-9.]+Z"));
        given().queryParam("severity", "critical").queryParam("plugin_id", broken.pluginId()).when().get("/api/v1/findings")
                .then().statusCode(200).body("total", equalTo(1));
        given().queryParam("plugin_id", "langgenius/nobody").when().get("/api/v1/findings").then().statusCode(200)
                .body("total", equalTo(0)).body("findings", hasSize(0));
        given().queryParam("severity", "info").when().get("/api/v1/findings").then().statusCode(200).body("total", equalTo(0));
        given().queryParam("page", "1").queryParam("size", "1").when().get("/api/v1/findings").then().statusCode(200)
                .body("total", equalTo(1)).body("offset", equalTo(1)).body("limit", equalTo(1)).body("findings", hasSize(0));
        given().queryParam("offset", "0").queryParam("limit", "1").when().get("/api/v1/findings").then().statusCode(200)
                .body("findings", hasSize(1));
    }

    @Test
    @Order(5)
    void rejectsBadFilterValuesNamingTheAllowedOnes() {
        given().queryParam("kind", "nope").when().get("/api/v1/findings").then().statusCode(400)
                .contentType(ContentType.JSON).body("status", equalTo(400))
                .body("error", startsWith("kind='nope' is not a finding kind; allowed: invalid_installed_key, "))
                .body("allowed", hasSize(FindingKind.values().length)).body("allowed", hasItem("package_missing"));
        given().queryParam("severity", "urgent").when().get("/api/v1/findings").then().statusCode(400)
                .body("allowed", contains("info", "warning", "critical"));
        given().queryParam("limit", "0").when().get("/api/v1/findings").then().statusCode(400)
                .body("error", equalTo("limit='0' is not an integer from 1 to 1000"));
        given().queryParam("page", "0").queryParam("offset", "5").when().get("/api/v1/findings").then().statusCode(400)
                .body("error", equalTo("use either offset/limit or page/size, not both"));
    }

    @Test
    @Order(5)
    void reportsHealthWithData() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.database", equalTo("reachable"))
                .body("checks[0].data.storage", equalTo("reachable"))
                .body("checks[0].data.lastScan", equalTo("success"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.storageType", equalTo("local"));
    }

    @Test
    @Order(5)
    void servesTheOpenApiDocument() {
        given().when().get("/api/v1/openapi.yaml").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("/api/v1/findings:"));
    }

    /** Writes what the service exports, for scripts/check-ops-assets.sh (run by OpsAssetsIT and CI). */
    @Test
    @Order(6)
    void writesTheExportedMetricNamesForTheOpsAssetCheck() throws IOException {
        var names = Exposition.scrape().names();
        assertTrue(names.contains("plugin_reconciler_run_duration_seconds_bucket"), names.toString());
        Path out = Path.of("target", "exported-metric-names.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "# Written by ObservabilityTest from /q/metrics after two scans; read by scripts/check-ops-assets.sh\n"
                + String.join("\n", names) + "\n", StandardCharsets.UTF_8);
    }
}
