package dify.reconciler.approval;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.leader.LeaderElection;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.Leadership;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestApi;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An armed leader with {@code reconciler.remediation.approval=required}: it publishes each plan and changes nothing
 * until someone approves; approval of a replaced or expired plan is refused with the current plan's id; the approved
 * plan is applied at the next tick with the approver in its audit rows. Suspension stops an armed tick, is persisted
 * and shown in the metric; resume lets the next approved plan through. Every test leaves the daemon's tables as seeded.
 */
@QuarkusTest
@TestProfile(ApprovalServiceTest.ApprovalRequired.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class ApprovalServiceTest {

    public static class ApprovalRequired implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.remediation.dry-run", "false", "reconciler.remediation.confirmations", "1",
                    "reconciler.remediation.min-age", "0s", "reconciler.remediation.max-share", "1",
                    "reconciler.remediation.kinds", "refers_too_low", "reconciler.remediation.approval", "required",
                    "reconciler.leader.retry-interval", "1s", "quarkus.scheduler.enabled", "false");
        }
    }

    @Inject
    LeaderElection election;

    @BeforeEach
    void leading() throws InterruptedException {
        Leadership.await(election);
    }

    @Test
    void nothingChangesUntilApprovedAndTheApprovedPlanIsAppliedWithTheApproverAudited() throws Exception {
        String plugin = string("SELECT id::text FROM plugins WHERE plugin_id = ?", "langgenius/plugin1");
        Map<String, List<String>> original = TableDump.daemon(db());
        Map<String, String> bucket = BucketContents.of(DriftedDaemonAccess.storageRoot());
        long count = refers(plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        Map<String, List<String>> planted = TableDump.daemon(db());

        scan();
        JsonPath first = given().get("/api/v1/plans/pending").then().statusCode(200).extract().jsonPath();
        assertEquals("pending", first.getString("status"), first.prettify());
        assertEquals(List.of("refers_too_low"), first.getList("plan.actions.kind"));
        String firstId = first.getString("planId");
        given().get("/api/v1/plan").then().statusCode(200).body("applied", equalTo(false))
                .body("note", containsString("awaits approval"));
        assertEquals(planted, TableDump.daemon(db()), "published, not applied");

        given().post("/api/v1/plans/" + firstId + "/approve").then().statusCode(401);
        given().header("Authorization", "Bearer wrong").post("/api/v1/plans/" + firstId + "/approve").then().statusCode(401);
        TestApi.authorized().header("X-Reconciler-Actor", "x".repeat(65)).post("/api/v1/plans/" + firstId + "/approve").then()
                .statusCode(400).body("error", containsString("longer than"));
        TestApi.authorized().queryParam("actor", TestApi.TOKEN).post("/api/v1/plans/" + firstId + "/approve").then().statusCode(400)
                .body("error", containsString("not carry the API token"));

        scan(); // a second scan's plan replaces the pending one
        String secondId = given().get("/api/v1/plans/pending").then().statusCode(200).body("status", equalTo("pending")).extract()
                .path("planId");
        assertTrue(!secondId.equals(firstId));
        TestApi.authorized().post("/api/v1/plans/" + firstId + "/approve").then().statusCode(409)
                .body("planStatus", equalTo("replaced")).body("currentPlanId", equalTo(secondId));
        assertEquals(planted, TableDump.daemon(db()), "refused approvals changed nothing");

        TestApi.authorized().header("X-Reconciler-Actor", "alice@example.org").post("/api/v1/plans/" + secondId + "/approve").then()
                .statusCode(200).body("status", equalTo("approved")).body("approvedBy", equalTo("alice@example.org"));
        assertEquals(planted, TableDump.daemon(db()), "approved: applied at the next tick, not before");

        String applyRun = scan();
        assertEquals(count, refers(plugin), "the next tick applied the approved plan");
        assertEquals(original, TableDump.daemon(db()));
        assertEquals(bucket, BucketContents.of(DriftedDaemonAccess.storageRoot()));
        given().get("/api/v1/plans/" + secondId).then().statusCode(200).body("status", equalTo("applied"));
        JsonPath audit = given().queryParam("plan", secondId).get("/api/v1/actions").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("applied", "planned"), audit.getList("actions.outcome"), audit.prettify());
        assertEquals(List.of("alice@example.org", "alice@example.org"), audit.getList("actions.approvedBy"));
        assertEquals(applyRun, audit.getString("actions[0].runId"));

        // Expired: a pending plan past its expiry cannot be approved.
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        scan();
        String thirdId = given().get("/api/v1/plans/pending").then().statusCode(200).extract().path("planId");
        daemon().execute("UPDATE plugin_reconciler.approval_plans SET expires_at = now() - interval '1 second' WHERE plan_id = ?",
                thirdId);
        TestApi.authorized().post("/api/v1/plans/" + thirdId + "/approve").then().statusCode(409)
                .body("planStatus", equalTo("expired")).body("currentPlanId", equalTo(thirdId));
        scan();
        assertEquals(1L, refers(plugin), "an expired plan is never applied");
        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", count, plugin);
        assertEquals(original, TableDump.daemon(db()));
    }

    @Test
    void aSuspendedArmedTickChangesNothingTheSuspensionIsPersistedAndResumeLetsTheApprovedPlanThrough() throws Exception {
        String plugin = string("SELECT id::text FROM plugins WHERE plugin_id = ?", "langgenius/plugin2");
        Map<String, List<String>> original = TableDump.daemon(db());
        long count = refers(plugin);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", plugin);
        Map<String, List<String>> planted = TableDump.daemon(db());
        scan();
        String planId = given().get("/api/v1/plans/pending").then().statusCode(200).body("status", equalTo("pending")).extract()
                .path("planId");
        TestApi.authorized().post("/api/v1/plans/" + planId + "/approve").then().statusCode(200).body("approvedBy", equalTo("api"));

        given().post("/api/v1/remediation/suspend?reason=upgrade").then().statusCode(401);
        TestApi.authorized().post("/api/v1/remediation/suspend").then().statusCode(400).body("error", containsString("reason"));
        try {
            TestApi.authorized().header("X-Reconciler-Actor", "bob").post("/api/v1/remediation/suspend?reason=daemon upgrade").then()
                    .statusCode(200).body("suspended", equalTo(true)).body("by", equalTo("bob"));
            assertTrue(metrics().contains("plugin_reconciler_remediation_suspended 1.0"), metrics());
            given().get("/api/v1/remediation/suspension").then().statusCode(200).body("suspended", equalTo(true))
                    .body("reason", equalTo("daemon upgrade")).body("storage", equalTo("persisted"));
            given().get("/q/health/ready").then().body("checks[0].data.remediationSuspended", equalTo("true"));
            // Persisted: the latest row of our table says so, whichever replica or process reads it next.
            assertEquals("true", string("SELECT suspended::text FROM plugin_reconciler.remediation_suspension"
                    + " ORDER BY id DESC LIMIT 1"));

            scan(); // an approved plan waits: the suspended armed tick must not apply it
            assertEquals(planted, TableDump.daemon(db()), "suspended: nothing applied");
            given().get("/api/v1/plan").then().statusCode(200).body("applied", equalTo(false))
                    .body("note", containsString("suspended by bob"));
            given().get("/api/v1/plans/" + planId).then().statusCode(200).body("status", equalTo("approved"));
        } finally {
            TestApi.authorized().post("/api/v1/remediation/resume").then().statusCode(200).body("suspended", equalTo(false));
        }
        assertTrue(metrics().contains("plugin_reconciler_remediation_suspended 0.0"), metrics());
        scan();
        assertEquals(count, refers(plugin), "resumed: the approved plan was applied");
        assertEquals(original, TableDump.daemon(db()));
    }

    private static String scan() {
        return TestApi.authorized().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success")).extract()
                .path("runId");
    }

    private static String metrics() {
        return given().get("/q/metrics").then().statusCode(200).extract().asString();
    }

    private static long refers(String pluginRow) throws SQLException {
        return daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow);
    }

    private static String string(String sql, String... params) throws SQLException {
        try (Connection c = db().connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), sql);
                return rs.getString(1);
            }
        }
    }

    private static TestDatabase db() {
        return DriftedDaemonAccess.database();
    }

    private static DaemonRows daemon() {
        return DaemonRows.on(db());
    }
}
