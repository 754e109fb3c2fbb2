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
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * End to end in the running service: a daemon with one planted drift ({@link DriftedDaemon}), scans started
 * through the API, and the exact metrics, health and API answers that follow. Every test starts the scans it
 * needs and compares counters with their value before it, so no test depends on another one or on their order;
 * the service before any scan is {@link FreshServiceTest}.
 */
@QuarkusTest
@WithTestResource(DriftedDaemon.class)
class ObservabilityTest {

    private static final String PACKAGE_MISSING = "plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\"}";
    private static final String SUCCESSES = "plugin_reconciler_runs_total{result=\"success\"}";

    /** Starts a scan through the API, expects it to succeed and returns its run id. */
    private static String scan() {
        return TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"))
                .extract().path("runId");
    }

    @Test
    void aScanRequestedThroughTheApiRunsAndReturnsTheRun() {
        Instant before = Instant.now();
        JsonPath run = TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).contentType(ContentType.JSON)
                .body("result", equalTo("success")).body("findings", equalTo(1)).body("bySeverity.critical", equalTo(1))
                .extract().jsonPath();
        assertTrue(Instant.parse(run.getString("startedAt")).compareTo(before) >= 0);
    }

    @Test
    void exportsTheExactFindingsOfTheLastScan() {
        Exposition before = Exposition.scrape();
        scan();
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
        assertEquals("plugin_reconciler_runs_total{result=\"success\",} " + (before.value(SUCCESSES) + 1),
                m.line(SUCCESSES).orElseThrow());
        assertEquals("plugin_reconciler_runs_total{result=\"failure\",} 0.0",
                m.line("plugin_reconciler_runs_total{result=\"failure\"}").orElseThrow());
        for (String series : List.of("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}",
                "plugin_reconciler_run_duration_seconds_count{phase=\"storage\"}",
                "plugin_reconciler_run_duration_seconds_bucket{phase=\"total\",le=\"+Inf\"}")) {
            assertEquals(before.value(series) + 1, m.value(series), series);
        }
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
        // Local storage counts one list request per folder read: every folder under each listed prefix, or one look
        // for a prefix whose folder does not exist.
        String listOk = "plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"ok\"}";
        assertEquals(before.value(listOk) + foldersReadByAScan(), m.value(listOk), listOk);
        assertEquals(0.0, m.value("plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"error\"}"));
    }

    @Test
    void keepsTheFirstSeenTimeOfAFindingAcrossScans() {
        String firstRun = scan();
        Exposition afterFirst = Exposition.scrape();
        double first = afterFirst.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}");
        Instant firstSeen = Instant.parse(given().when().get("/api/v1/report").then().statusCode(200).extract().jsonPath()
                .getString("findings.find { it.kind == 'package_missing' }.firstSeen"));
        assertEquals(firstSeen.getEpochSecond(), first, "the gauge is the finding's first sighting, in whole seconds");
        String secondRun = scan();
        Exposition m = Exposition.scrape();
        assertEquals(afterFirst.value(SUCCESSES) + 1, m.value(SUCCESSES));
        assertEquals(first, m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}"));
        given().when().get("/api/v1/runs").then().statusCode(200)
                .body("runs[0].runId", equalTo(secondRun)).body("runs[1].runId", equalTo(firstRun))
                .body("runs[0].result", equalTo("success")).body("runs[0].findings", equalTo(1));
    }

    @Test
    void filtersAndPagesFindings() {
        scan();
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
    void reportsHealthWithData() {
        scan();
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.database", equalTo("reachable"))
                .body("checks[0].data.storage", equalTo("reachable"))
                .body("checks[0].data.lastScan", equalTo("success"));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.storageType", equalTo("local"));
    }

    @Test
    void servesTheOpenApiDocument() {
        given().when().get("/api/v1/openapi.yaml").then().statusCode(200)
                .body(org.hamcrest.Matchers.containsString("/api/v1/findings:"));
    }

    /** The folders a scan reads under the four prefixes it lists (plugin, plugin_packages, assets, persistence). */
    private static long foldersReadByAScan() {
        // One look for keys written with Windows separators (`plugin\…`): a prefix that is no folder of its own.
        long folders = 1;
        for (String prefix : List.of("plugin", "plugin_packages", "assets", "persistence")) {
            Path folder = DriftedDaemonAccess.storageRoot().resolve(prefix);
            if (!Files.isDirectory(folder)) {
                folders++;
                continue;
            }
            try (Stream<Path> tree = Files.walk(folder)) {
                folders += tree.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).count();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return folders;
    }

    /** Writes what the service exports, for scripts/check-ops-assets.sh (run by OpsAssetsIT and CI). */
    @Test
    void writesTheExportedMetricNamesForTheOpsAssetCheck() throws IOException {
        scan();
        var names = Exposition.scrape().names();
        assertTrue(names.contains("plugin_reconciler_run_duration_seconds_bucket"), names.toString());
        Path out = Path.of("target", "exported-metric-names.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "# Written by ObservabilityTest from /q/metrics after a scan; read by scripts/check-ops-assets.sh\n"
                + String.join("\n", names) + "\n", StandardCharsets.UTF_8);
    }
}
