package dify.reconciler.run;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code reconciler.tenant-storage-interval}: the service's first scan runs {@code tenant_storage_drift} (listing
 * {@code persistence/} folder by folder, the default), the next one within the interval leaves it out as a check that
 * did not run, and its open ledger entry stays open (not seen is not gone), while the other kinds are judged as usual.
 */
@QuarkusTest
@TestProfile(TenantStorageIntervalTest.HourlyTenantStorage.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class TenantStorageIntervalTest {

    public static class HourlyTenantStorage implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.tenant-storage-interval", "1h");
        }
    }

    private static final String KIND = "tenant_storage_drift";

    @Test
    void aScanWithinTheIntervalLeavesTheCheckOutAndItsLedgerEntriesOpen() throws Exception {
        TestDatabase db = DriftedDaemonAccess.database();
        // 100 bytes recorded for a plugin that stores nothing under persistence/: one tenant_storage_drift.
        DaemonRows.on(db).insertTenantStorage(DriftedDaemonAccess.dataset().tenants.get(0).toString(), "acme/drifted", 100,
                Instant.now().minus(Duration.ofDays(1)));

        JsonPath first = scan();
        assertEquals(1, first.getInt("summary.byKind." + KIND), "the first scan runs the check");
        assertNull(first.get("scanned.checksNotRun." + KIND));
        assertNotNull(first.get("scanned.objects.persistence"), "persistence/ was listed");
        assertEquals(1, openEntries(db, KIND));

        JsonPath second = scan();
        String reason = second.getString("scanned.checksNotRun." + KIND);
        assertTrue(reason != null && reason.contains("reconciler.tenant-storage-interval is PT1H"), "reason: " + reason);
        assertEquals(0, second.getInt("summary.byKind." + KIND));
        assertNull(second.get("scanned.objects.persistence"), "persistence/ was not listed");
        assertEquals(1, openEntries(db, KIND), "the entry of a check that did not run stays open");
        assertEquals(1, second.getInt("summary.byKind.package_missing"), "the other checks ran");
        assertEquals(1, openEntries(db, "package_missing"));
    }

    private static JsonPath scan() {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"));
        return given().when().get("/api/v1/report").then().statusCode(200).extract().jsonPath();
    }

    private static long openEntries(TestDatabase db, String kind) throws Exception {
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL AND kind = ?")) {
            ps.setString(1, kind);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
