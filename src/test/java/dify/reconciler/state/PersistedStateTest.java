package dify.reconciler.state;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.TestApi;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The service with credentials that may create our schema (a sidecar sharing the daemon's Secret): runs and
 * the finding ledger are kept in {@code plugin_reconciler}, every finding reaches the ledger (not only the
 * report's capped list), a finding seen again keeps its first-seen time and counts its scans, and one that
 * is fixed closes its entry.
 */
@QuarkusTest
@TestProfile(PersistedStateTest.SmallReportCap.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class PersistedStateTest {

    /** The report keeps 5 findings; the ledger must still get all of them. */
    public static class SmallReportCap implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.max-findings-per-report", "5");
        }
    }

    @Test
    void keepsRunsAndEveryFindingInOurSchemaAcrossScansAndClosesWhatWasFixed() throws Exception {
        TestDatabase db = DriftedDaemonAccess.database();
        DaemonRows daemon = DaemonRows.on(db);
        // 12 endpoints nobody installed (info), beyond the report's cap of 5, besides the package_missing.
        for (int i = 0; i < 12; i++) {
            daemon.execute("INSERT INTO endpoints (id, created_at, updated_at, name, hook_id, tenant_id, user_id, plugin_id,"
                    + " enabled, settings) VALUES (?, now() - interval '1 day', now() - interval '1 day', 'default', ?, ?,"
                    + " 'u', 'acme/gone', true, '{}')", UUID.randomUUID(), "hook-" + i, UUID.randomUUID().toString());
        }
        JsonPath first = scan();
        assertEquals(13, first.getInt("summary.total"));
        assertEquals(5, first.getList("findings").size());
        assertEquals("persisted", first.getString("state.mode"));
        Instant firstSeen = Instant.parse(first.getString("findings.find { it.kind == 'package_missing' }.firstSeen"));
        assertEquals(1, first.getInt("findings.find { it.kind == 'package_missing' }.consecutiveScans"));
        assertEquals(Instant.parse(first.getString("startedAt")), firstSeen);
        assertEquals(13, openEntries(db, null));
        assertEquals(12, openEntries(db, "endpoint_orphaned"));

        // Fix one endpoint's drift (reinstalling would re-attach it; deleting is the operator's fix here).
        daemon.execute("DELETE FROM endpoints WHERE hook_id = 'hook-0'");
        JsonPath second = scan();
        assertEquals(firstSeen.toString(), second.getString("findings.find { it.kind == 'package_missing' }.firstSeen"));
        assertEquals(2, second.getInt("findings.find { it.kind == 'package_missing' }.consecutiveScans"));
        assertEquals(12, openEntries(db, null));
        assertEquals(1, closedEntries(db, "endpoint_orphaned"));
        assertEquals(0L, count(db, "SELECT count(*) FROM plugin_reconciler.scan_findings"), "the scan's staging rows are gone");

        assertEquals(2L, count(db, "SELECT count(*) FROM plugin_reconciler.runs WHERE result = 'success'"));
        assertEquals(2L, count(db, "SELECT count(DISTINCT run_id) FROM plugin_reconciler.listing_history WHERE prefix = 'plugin'"));
        given().when().get("/api/v1/runs").then().statusCode(200).body("runs.size()", equalTo(2))
                .body("runs[0].runId", equalTo(second.getString("runId"))).body("runs[0].findings", equalTo(12));
        given().when().get("/q/health/ready").then().statusCode(200).body("checks[0].data.state", equalTo("persisted"));
        assertTrue(given().when().get("/q/metrics").asString().contains("plugin_reconciler_state_persisted 1.0"));
    }

    private static JsonPath scan() {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"));
        return given().when().get("/api/v1/report").then().statusCode(200).extract().jsonPath();
    }

    private static long openEntries(TestDatabase db, String kind) throws Exception {
        return kind == null
                ? count(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL")
                : count(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL AND kind = ?", kind);
    }

    private static long closedEntries(TestDatabase db, String kind) throws Exception {
        return count(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NOT NULL AND kind = ?", kind);
    }

    /** The single value of a one-row count query; the callers compare it with the exact count the fixture implies. */
    private static long count(TestDatabase db, String sql, String... parameters) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                ps.setString(i + 1, parameters[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no row: " + sql);
                long n = rs.getLong(1);
                assertFalse(rs.wasNull(), "NULL count: " + sql);
                assertFalse(rs.next(), "more than one row: " + sql);
                return n;
            }
        }
    }
}
