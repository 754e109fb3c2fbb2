package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.planner.Remedies;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

/**
 * The service before its first scan: every series exported at 0, the API saying that no scan has completed.
 * No test here starts a scan, so none depends on another's order; a profile of its own gives this class a
 * service of its own (the scans of {@link ObservabilityTest} never reach it).
 */
@QuarkusTest
@TestProfile(FreshServiceTest.Fresh.class)
@WithTestResource(DriftedDaemon.class)
class FreshServiceTest {

    /** No overrides: only a distinct profile, which makes Quarkus start a fresh service for this class. */
    public static class Fresh implements QuarkusTestProfile {
    }

    @Test
    void exportsEverySeriesAtZeroBeforeTheFirstScan() {
        Exposition m = Exposition.scrape();
        for (FindingKind kind : FindingKind.values()) {
            assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"" + kind.label() + "\",severity=\""
                    + kind.severity().label() + "\"}"), kind.label());
            assertEquals(0.0, m.value("plugin_reconciler_finding_bytes{kind=\"" + kind.label() + "\"}"), kind.label());
            assertEquals(0.0, m.value("plugin_reconciler_oldest_finding_timestamp_seconds{kind=\"" + kind.label() + "\"}"));
        }
        assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"refers_too_low\",severity=\"critical\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_findings{kind=\"refers_drift\",severity=\"warning\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_runs_total{result=\"success\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_runs_total{result=\"failure\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_last_run_timestamp_seconds"));
        assertEquals(0.0, m.value("plugin_reconciler_last_success_timestamp_seconds"));
        assertEquals(0.0, m.value("plugin_reconciler_interval_seconds"), "reconciler.interval=off");
        assertEquals(1.0, m.value("plugin_reconciler_configuration_valid"), "a service that started has a valid configuration");
        assertEquals(0.0, m.value("plugin_reconciler_packages_unverified"));
        // Alerts take increase() of these: each must exist at 0 before its first event.
        for (FindingKind kind : Remedies.remediableKinds()) {
            assertEquals(0.0, m.value("plugin_reconciler_remediation_actions_total{action=\"" + Remedies.remedyFor(kind)
                    .orElseThrow().label() + "\",kind=\"" + kind.label() + "\",outcome=\"failed\"}"), kind.label());
        }
        assertEquals(0.0, m.value("plugin_reconciler_guard_trips_total{guard=\"shrunk_listing\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_cache_invalidations_total{outcome=\"failed\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_breaker_tripped"));
        assertEquals(0.0, m.value("plugin_reconciler_run_duration_seconds_count{phase=\"total\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_objects_listed{prefix=\"plugin_packages\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_storage_requests_total{operation=\"head\",outcome=\"error\"}"));
        assertEquals("plugin_reconciler_info{mode=\"service\",storage_type=\"local\",version=\"0.1.0-SNAPSHOT\",} 1.0",
                m.line("plugin_reconciler_info{mode=\"service\",storage_type=\"local\",version=\"0.1.0-SNAPSHOT\"}")
                        .orElseThrow());
    }

    @Test
    void answersServiceUnavailableBeforeTheFirstScan() {
        given().when().get("/api/v1/report").then().statusCode(503).contentType(ContentType.JSON)
                .body("status", equalTo(503)).body("error", startsWith("no scan has completed yet"));
        given().when().get("/api/v1/findings").then().statusCode(503).contentType(ContentType.JSON)
                .body("error", startsWith("no scan has completed yet"));
        given().when().get("/api/v1/runs").then().statusCode(200).body("runs", hasSize(0)).body("scanning", equalTo(false));
        given().when().get("/q/health/ready").then().statusCode(200).body("checks[0].data.lastScan", equalTo("none yet"));
    }
}
