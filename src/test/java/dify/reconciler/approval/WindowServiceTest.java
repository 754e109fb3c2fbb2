package dify.reconciler.approval;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dify.reconciler.leader.LeaderElection;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.Leadership;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An armed leader outside every change window: the plan is computed and shown, every action withheld, nothing changed. */
@QuarkusTest
@TestProfile(WindowServiceTest.OutsideEveryWindow.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
class WindowServiceTest {

    /** One window, on the weekday two days from today (UTC): closed now, and all through a test run. */
    public static class OutsideEveryWindow implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            DayOfWeek later = LocalDate.now(ZoneOffset.UTC).getDayOfWeek().plus(2);
            String window = later.getDisplayName(TextStyle.SHORT, Locale.ROOT) + " 00:00-23:59 UTC";
            return Map.of("reconciler.remediation.dry-run", "false", "reconciler.remediation.confirmations", "1",
                    "reconciler.remediation.min-age", "0s", "reconciler.remediation.max-share", "1",
                    "reconciler.remediation.kinds", "refers_too_low", "reconciler.remediation.windows", window,
                    "reconciler.leader.retry-interval", "1s", "quarkus.scheduler.enabled", "false");
        }
    }

    @Inject
    LeaderElection election;

    @Test
    void outsideEveryWindowEveryActionIsWithheldAndNothingChanges() throws Exception {
        Leadership.await(election);
        DaemonRows daemon = DaemonRows.on(DriftedDaemonAccess.database());
        Map<String, List<String>> original = TableDump.daemon(DriftedDaemonAccess.database());
        long count = daemon.queryLong("SELECT refers FROM plugins WHERE plugin_id = ?", "langgenius/plugin1");
        daemon.execute("UPDATE plugins SET refers = 1 WHERE plugin_id = ?", "langgenius/plugin1");
        Map<String, List<String>> planted = TableDump.daemon(DriftedDaemonAccess.database());

        TestApi.authorized().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"));
        JsonPath plan = given().get("/api/v1/plan").then().statusCode(200).body("applied", equalTo(false))
                .body("note", containsString("outside every change window")).extract().jsonPath();
        assertEquals(List.of(), plan.getList("plan.actions"), plan.prettify());
        List<String> reasons = plan.getList("plan.withheld.findAll { it.kind == 'refers_too_low' }.reason");
        assertFalse(reasons.isEmpty(), plan.prettify());
        assertEquals(List.of("outside_window"), reasons.stream().distinct().toList(), plan.prettify());
        assertEquals(planted, TableDump.daemon(DriftedDaemonAccess.database()), "outside every window: nothing applied");

        daemon.execute("UPDATE plugins SET refers = ? WHERE plugin_id = ?", count, "langgenius/plugin1");
        assertEquals(original, TableDump.daemon(DriftedDaemonAccess.database()));
    }
}
