package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.Severity;
import dify.reconciler.report.ScanReport;
import dify.reconciler.state.LedgerView;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Database and storage unreachable, default health settings: the service stays live and ready (see
 * {@code HealthConfig}), says what is unreachable, and a scan fails visibly without touching the findings.
 * The tests do not depend on each other: the second compares counters with their value before its scan.
 */
@QuarkusTest
@TestProfile(UnreachableDependencies.class)
class UnreachableDependenciesTest {

    private static final String PACKAGE_MISSING = "plugin_reconciler_findings{kind=\"package_missing\",severity=\"critical\"}";
    private static final String REFERS_TOO_LOW = "plugin_reconciler_findings{kind=\"refers_too_low\",severity=\"critical\"}";
    private static final String OLDEST_PACKAGE_MISSING = "plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"package_missing\"}";
    private static final String LAST_SUCCESS = "plugin_reconciler_last_success_timestamp_seconds";
    private static final String FAILURES = "plugin_reconciler_runs_total{result=\"failure\"}";
    private static final String SUCCESSES = "plugin_reconciler_runs_total{result=\"success\"}";
    private static final String LIST_ERRORS = "plugin_reconciler_storage_requests_total{operation=\"list\",outcome=\"error\"}";

    /** The channel the scan runner publishes finished scans on (the metrics observe it). */
    @Inject
    Event<ScanReport> finishedScans;

    @Test
    void staysReadyAndLiveAndSaysWhatIsUnreachable() {
        given().when().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks[0].data.database", startsWith("unreachable: "))
                .body("checks[0].data.storage", containsString("/nonexistent/reconciler-test-storage does not exist"))
                .body("checks[0].data.readinessRequiresDependencies", equalTo(false));
        given().when().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        given().when().get("/q/health/started").then().statusCode(200).body("status", equalTo("UP"));
    }

    @Test
    void aFailedScanIsCountedAndReportedButLeavesTheFindingsOfTheLastSuccessAlone() {
        // Something to lose: the metrics of an earlier successful scan (an hour ago, when the database was up)
        // with 3 package_missing and 1 refers_too_low.
        Instant earlier = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        finishedScans.fire(successfulScan(earlier, Map.of(FindingKind.PACKAGE_MISSING, 3L, FindingKind.REFERS_TOO_LOW, 1L)));
        Exposition before = Exposition.scrape();
        assertEquals(3.0, before.value(PACKAGE_MISSING), "precondition: the earlier scan's findings are exported");
        assertEquals((double) earlier.plusSeconds(1).getEpochSecond(), before.value(LAST_SUCCESS));

        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).contentType(ContentType.JSON)
                .body("result", equalTo("failure")).body("failedPhase", equalTo("database"))
                .body("findings", nullValue()).body("error", containsString("Connection"));

        Exposition m = Exposition.scrape();
        assertEquals(before.value(FAILURES) + 1, m.value(FAILURES));
        assertEquals(before.value(SUCCESSES), m.value(SUCCESSES));
        // The failed scan's empty result is not a verdict: the gauges keep the last successful scan.
        assertEquals(3.0, m.value(PACKAGE_MISSING));
        assertEquals(1.0, m.value(REFERS_TOO_LOW));
        assertEquals(before.value(OLDEST_PACKAGE_MISSING), m.value(OLDEST_PACKAGE_MISSING));
        assertEquals((double) earlier.getEpochSecond(), m.value(OLDEST_PACKAGE_MISSING));
        assertEquals(before.value(LAST_SUCCESS), m.value(LAST_SUCCESS));
        // ... while the last run moves to the failure, now, well after that success.
        assertTrue(m.value("plugin_reconciler_last_run_timestamp_seconds") > m.value(LAST_SUCCESS) + 1800,
                "last run " + m.value("plugin_reconciler_last_run_timestamp_seconds"));
        assertEquals(before.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}") + 1,
                m.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}"));

        given().when().get("/api/v1/findings").then().statusCode(503)
                .body("error", startsWith("no scan has succeeded yet; the last one failed in phase database"));
        given().when().get("/api/v1/report").then().statusCode(200).body("result", equalTo("failure"));
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("checks[0].data.lastScan", equalTo("failure"))
                .body("checks[0].data.lastScanFailedPhase", equalTo("database"));
        assertTrue(Exposition.scrape().value(LIST_ERRORS) > m.value(LIST_ERRORS),
                "the readiness probe's listing of the missing root counts as a failed list");
    }

    /** A successful scan's report, as the runner publishes it, with {@code counts} findings (one second long). */
    private static ScanReport successfulScan(Instant started, Map<FindingKind, Long> counts) {
        List<Finding> findings = new ArrayList<>();
        Map<FindingKind, Long> byKind = new EnumMap<>(FindingKind.class);
        Map<Severity, Long> bySeverity = new EnumMap<>(Severity.class);
        for (Severity s : Severity.values()) {
            bySeverity.put(s, 0L);
        }
        for (FindingKind kind : FindingKind.values()) {
            long n = counts.getOrDefault(kind, 0L);
            byKind.put(kind, n);
            bySeverity.merge(kind.severity(), n, Long::sum);
            for (int i = 0; i < n; i++) {
                findings.add(
                        Finding.row(kind, "plugins", kind.label() + "-" + i, null, null, null, ObservedVersion.row(started), "planted"));
            }
        }
        ScanReport.Summary summary = new ScanReport.Summary(findings.size(), byKind, bySeverity, Map.of(), 0, 0, 0, 0);
        Map<FindingKind, Instant> oldest = new java.util.EnumMap<>(FindingKind.class);
        counts.forEach((kind, n) -> {
            if (n > 0) {
                oldest.put(kind, started);
            }
        });
        return new ScanReport("earlier-success", started, started.plusSeconds(1), ScanReport.Result.SUCCESS, null, null,
                null, findings, false, summary, Map.of("total", Duration.ofSeconds(1)), List.of(),
                new ScanReport.State("memory", "test"), new LedgerView(oldest, Map.of()));
    }
}
