package dify.reconciler.observe;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.approval.PlanAwaitingApproval;
import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.leader.LeaderElection;
import dify.reconciler.leader.LeaderStatus;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.planner.PlanDocument;
import dify.reconciler.testsupport.Leadership;
import dify.reconciler.testsupport.TestApi;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusMock;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The webhook ({@code reconciler.notify.webhook-url}) against a local receiver, in the service with a real scan of
 * a drifted daemon (embedded PostgreSQL, local storage; state persisted in our schema). The receiver gets requests in
 * the order the service sends them, so "nothing was sent in between" is proved by the next request being the next
 * expected notice, without sleeping. The tests run in order: the first one needs the service's first scan.
 */
@QuarkusTest
@TestProfile(BreakableStorageProfile.class)
@WithTestResource(value = DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(WebhookReceiver.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WebhookTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LINK_BASE = "https://reconciler.example.com/ops/";
    private static final List<String> LOG = Collections.synchronizedList(new ArrayList<>());
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            LOG.add(record.getLoggerName() + " " + record.getMessage() + " " + java.util.Arrays.toString(record.getParameters())
                    + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @Inject
    Breaker breaker;

    @Inject
    jakarta.enterprise.event.Event<PlanAwaitingApproval> published;

    @BeforeAll
    static void captureLog() {
        java.util.logging.Logger.getLogger("dify.reconciler").addHandler(CAPTURE);
    }

    @AfterAll
    static void stopCapturing() {
        java.util.logging.Logger.getLogger("dify.reconciler").removeHandler(CAPTURE);
    }

    @Inject
    LeaderElection election;

    @BeforeEach
    void leading() throws InterruptedException {
        Leadership.await(election);
    }

    @AfterEach
    void repair() throws IOException {
        BreakableStorage.failure = null;
        restorePackage(1);
        CountDownLatch h = WebhookReceiver.hold;
        WebhookReceiver.hold = null;
        if (h != null) {
            h.countDown();
        }
    }

    @Test
    @Order(1)
    void eachChangeIsSentOnceWithItsExactPayloadAndTheSameStateNeverAgain() throws Exception {
        // The first successful scan after start is a change; the receiver refuses it twice, then takes it.
        WebhookReceiver.answers.add(500);
        WebhookReceiver.answers.add(500);
        JsonNode first = scan("success");
        Map<String, Object> expected = criticalPayload(first);
        for (int attempt = 1; attempt <= 3; attempt++) {
            WebhookReceiver.Received r = next();
            assertEquals("POST", r.method());
            assertEquals(WebhookReceiver.TOKEN_PATH, r.path());
            assertEquals(WebhookReceiver.QUERY_SECRET, r.query());
            assertEquals("application/json", r.contentType());
            assertEquals(tree(expected), JSON.readTree(r.body()), "attempt " + attempt);
        }
        // The sender stores the set once the receiver's answer is back, which can come after the test saw the request.
        String firstSet = storedStateWithin("critical_findings", Duration.ofSeconds(10));
        assertNotNull(firstSet, "the delivered set is stored in notify_state");

        scan("success"); // the same set: nothing sent

        movePackageAway(1);
        JsonNode second = scan("success");
        assertEquals(2, second.get("summary").get("bySeverity").get("critical").asInt());
        assertEquals(tree(criticalPayload(second)), JSON.readTree(next().body()));

        // As if another replica, or this one before a restart, had delivered the first set: it is not sent again.
        setStoredState("critical_findings", firstSet);
        restorePackage(1);
        scan("success");

        BreakableStorage.failure = new IllegalStateException("bucket unreachable (thrown by the test)");
        JsonNode failed = scan("failure");
        WebhookReceiver.Received failure = next();
        assertEquals(tree(runFailedPayload(failed)), JSON.readTree(failure.body()),
                "the next notice after the unchanged scans is the failed run");
        scan("failure"); // still failing: not sent again
        BreakableStorage.failure = null;
        scan("success"); // succeeding again, with the set already delivered: nothing sent
        movePackageAway(1);
        JsonNode changed = scan("success");
        assertEquals(tree(criticalPayload(changed)), JSON.readTree(next().body()),
                "the next notice after the second failure and the recovery is the changed set");

        Exposition m = Exposition.scrape();
        assertEquals(3.0, m.value("plugin_reconciler_notifications_total{event=\"critical_findings_changed\",outcome=\"sent\"}"));
        assertEquals(1.0, m.value("plugin_reconciler_notifications_total{event=\"run_failed\",outcome=\"sent\"}"));
        assertEquals(0.0, m.value("plugin_reconciler_notifications_total{event=\"critical_findings_changed\",outcome=\"failed\"}"));

        List<String> log = List.copyOf(LOG);
        assertTrue(log.stream().anyMatch(l -> l.contains("answered HTTP 500") && l.contains("http://127.0.0.1:")),
                "the refusals are logged with the receiver's host:\n" + String.join("\n", log));
        for (String line : log) {
            assertFalse(line.contains("sEcReTtOkEn4242") || line.contains("qUeRySeCrEt77") || line.contains("/services/T0RECON"),
                    "the webhook URL's path or query is in the log: " + line);
        }
    }

    @Test
    @Order(2)
    void aBreakerTripIsSentOnce() throws Exception {
        breaker.trip(new GuardTrip(GuardName.CAP, "7 eligible refers_too_low findings, max-actions-per-run 5"), "plan-webhook-1",
                "run-webhook-1");
        try {
            JsonNode got = JSON.readTree(next().body());
            Map<String, Object> expected = new LinkedHashMap<>();
            expected.put("text", "dify-plugin-reconciler on " + host() + ": remediation breaker tripped by cap: 7 eligible"
                    + " refers_too_low findings, max-actions-per-run 5 (plan plan-webhook-1)\nNothing is applied until someone"
                    + " acknowledges it ('breaker ack --reason TEXT' or POST /api/v1/breaker/ack).\nBreaker: " + LINK_BASE
                    + "api/v1/breaker");
            expected.put("event", "breaker_tripped");
            expected.put("instance", host());
            expected.put("runId", "run-webhook-1");
            expected.put("at", got.get("at").asText()); // the trip's time, which only the breaker knows
            expected.put("guard", "cap");
            expected.put("detail", "7 eligible refers_too_low findings, max-actions-per-run 5");
            expected.put("planId", "plan-webhook-1");
            expected.put("links", Map.of("breaker", LINK_BASE + "api/v1/breaker"));
            assertEquals(tree(expected), got);
            assertEquals(1.0, Exposition.scrape()
                    .value("plugin_reconciler_notifications_total{event=\"breaker_tripped\",outcome=\"sent\"}"));
        } finally {
            breaker.ack("test over", "WebhookTest");
        }
    }

    @Test
    @Order(3)
    void aReceiverThatHangsNeverDelaysAScanAndAFullQueueDropsAndCounts() throws Exception {
        Exposition before = Exposition.scrape();
        WebhookReceiver.held = new CountDownLatch(1);
        WebhookReceiver.hold = new CountDownLatch(1);
        // The stored set has package 1 missing (test 1): a scan with it back is a change, sent to a receiver that hangs.
        scan("success");
        assertTrue(WebhookReceiver.held.await(30, TimeUnit.SECONDS), "the notice reached the receiver");
        // The queue holds one notice: the next change waits in it, the one after is dropped. Neither scan waits.
        movePackageAway(1);
        long t0 = System.nanoTime();
        scan("success");
        restorePackage(1);
        scan("success");
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, WebhookReceiver.hold.getCount(), "the receiver was still holding the first notice");
        assertTrue(millis < 10_000, "two scans took " + millis + " ms while the receiver hung (its timeout is 30 s)");
        Exposition m = Exposition.scrape();
        assertEquals(before.value("plugin_reconciler_notifications_total{event=\"critical_findings_changed\",outcome=\"dropped\"}") + 1,
                m.value("plugin_reconciler_notifications_total{event=\"critical_findings_changed\",outcome=\"dropped\"}"));
        WebhookReceiver.hold.countDown();
        WebhookReceiver.hold = null;
        // The held notice is answered, then the queued one is sent (it differs from what was just delivered).
        assertEquals(1, JSON.readTree(next().body()).get("counts").get("critical").asInt());
        assertEquals(2, JSON.readTree(next().body()).get("counts").get("critical").asInt());
    }

    @Test
    @Order(4)
    void aPlanAwaitingApprovalIsSentOncePerPlanId() throws Exception {
        PublishedPlan first = published("plan-approval-1");
        published.fire(new PlanAwaitingApproval(first));
        JsonNode got = JSON.readTree(next().body());
        assertEquals("plan_awaits_approval", got.get("event").asText());
        assertEquals("plan-approval-1", got.get("planId").asText());
        assertEquals(1, got.get("actions").asInt());
        assertEquals(1, got.get("kinds").get("refers_too_low").asInt());
        assertTrue(got.get("text").asText().contains("POST /api/v1/plans/plan-approval-1/approve"), got.toString());
        assertEquals(LINK_BASE + "api/v1/plans/pending", got.get("links").get("plan").asText());
        // Fired only once the first was taken from the queue (this class's queue holds one notice: two fired at once
        // would drop the second): a repeat that were sent would be what the receiver gets next.
        published.fire(new PlanAwaitingApproval(first)); // the same plan again: never sent twice
        published.fire(new PlanAwaitingApproval(published("plan-approval-2")));
        assertEquals("plan-approval-2", JSON.readTree(next().body()).get("planId").asText(), "the repeat was not sent");
    }

    /**
     * A follower sends nothing (the leader alone speaks for the cluster): with this replica following, a changed
     * critical set, a plan published for approval and a breaker trip reach no receiver; leading again, the changed set
     * is the next notice. The election is replaced for this test by one that follows (QuarkusMock: the scans, the
     * planner and the webhook all see this replica as a follower, as when another replica holds the lock).
     */
    @Test
    @Order(5)
    void aFollowerSendsNothing() throws Exception {
        LeaderStatus following = new LeaderStatus(false, election.key(), "another-replica", "following");
        QuarkusMock.installMockForType(new LeaderElection() {
            @Override
            public LeaderStatus status() {
                return following;
            }

            @Override
            public boolean active() {
                return true;
            }
        }, LeaderElection.class);
        movePackageAway(1);
        scan("success");
        published.fire(new PlanAwaitingApproval(published("plan-follower-1")));
        breaker.trip(new GuardTrip(GuardName.CAP, "a follower's cap trip"), "plan-follower-2", "run-follower");
        try {
            WebhookReceiver.Received r = WebhookReceiver.requests.poll(3, TimeUnit.SECONDS);
            assertEquals(null, r, () -> "a follower sent " + r.body());
        } finally {
            breaker.ack("test over", "WebhookTest");
        }
    }

    private static PublishedPlan published(String planId) {
        java.time.Instant at = java.time.Instant.parse("2026-12-07T02:00:00Z");
        PlanDocument doc = new PlanDocument(planId, at.toString(), at.plusSeconds(86_400).toString(), "db", "run-approval",
                List.of(new PlanDocument.Action(planId + "/1", "refers_too_low", "update_row", "plugins", "row-1", null, "a/b", null,
                        "refers 1, expected 2")),
                List.of(), 0);
        return new PublishedPlan(planId, at, at.plusSeconds(86_400), "run-approval", PublishedPlan.Status.PENDING, null, null, null,
                null, doc, "persisted");
    }

    private static Map<String, Object> criticalPayload(JsonNode report) throws Exception {
        List<JsonNode> critical = new ArrayList<>();
        report.get("findings").forEach(f -> {
            if (f.get("severity").asText().equals("critical")) {
                critical.add(f);
            }
        });
        Map<String, Long> kinds = new LinkedHashMap<>();
        report.get("summary").get("byKind").properties().forEach(e -> {
            if (e.getValue().asLong() > 0 && critical.stream().anyMatch(f -> f.get("kind").asText().equals(e.getKey()))) {
                kinds.put(e.getKey(), e.getValue().asLong());
            }
        });
        long total = critical.size();
        StringBuilder text = new StringBuilder("dify-plugin-reconciler on " + host() + ": " + total + " critical finding"
                + (total == 1 ? "" : "s") + " (");
        List<String> parts = new ArrayList<>();
        kinds.forEach((k, n) -> parts.add(k + " " + n));
        text.append(String.join(", ", parts)).append(')');
        List<Map<String, Object>> findings = new ArrayList<>();
        for (JsonNode f : critical) {
            text.append("\n• ").append(f.get("kind").asText()).append(' ').append(f.get("key").asText()).append(": ")
                    .append(f.get("detail").asText());
            Map<String, Object> m = new LinkedHashMap<>();
            for (String field : List.of("kind", "severity", "table", "id", "key", "pluginUniqueIdentifier", "tenantId", "detail")) {
                m.put(field, f.get(field).isNull() ? null : f.get(field).asText());
            }
            findings.add(m);
        }
        text.append("\nReport: " + LINK_BASE + "api/v1/report");
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("text", text.toString());
        expected.put("event", "critical_findings_changed");
        expected.put("instance", host());
        expected.put("runId", report.get("runId").asText());
        expected.put("at", report.get("finishedAt").asText());
        JsonNode bySeverity = report.get("summary").get("bySeverity");
        expected.put("counts", Map.of("total", report.get("summary").get("total").asLong(), "critical",
                bySeverity.get("critical").asLong(), "warning", bySeverity.get("warning").asLong(), "info",
                bySeverity.get("info").asLong()));
        expected.put("criticalKinds", kinds);
        expected.put("findings", findings);
        expected.put("links", Map.of("report", LINK_BASE + "api/v1/report"));
        return expected;
    }

    /** As the receiver parses it (numbers as the smallest type that holds them). */
    private static JsonNode tree(Map<String, Object> expected) throws IOException {
        return JSON.readTree(JSON.writeValueAsString(expected));
    }

    private static Map<String, Object> runFailedPayload(JsonNode report) throws Exception {
        Map<String, Object> expected = new LinkedHashMap<>();
        expected.put("text", "dify-plugin-reconciler on " + host() + ": scan " + report.get("runId").asText() + " failed in phase "
                + report.get("failedPhase").asText() + ": " + report.get("error").asText()
                + "\nThe findings, metrics and readiness keep the last successful scan until a scan succeeds again.\nRuns: "
                + LINK_BASE + "api/v1/runs");
        expected.put("event", "run_failed");
        expected.put("instance", host());
        expected.put("runId", report.get("runId").asText());
        expected.put("at", report.get("finishedAt").asText());
        expected.put("failedPhase", "storage");
        expected.put("error", "bucket unreachable (thrown by the test)");
        expected.put("links", Map.of("runs", LINK_BASE + "api/v1/runs"));
        return expected;
    }

    /** Runs a scan through the API and returns the report it produced. */
    private static JsonNode scan(String result) throws Exception {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo(result));
        return JSON.readTree(given().when().get("/api/v1/report").then().statusCode(200).extract().asString());
    }

    private static WebhookReceiver.Received next() throws InterruptedException {
        WebhookReceiver.Received r = WebhookReceiver.requests.poll(30, TimeUnit.SECONDS);
        assertNotNull(r, "no notice reached the receiver within 30 s");
        return r;
    }

    private static String host() throws IOException {
        return InetAddress.getLocalHost().getHostName();
    }

    private static Path packagePath(int plugin) {
        return DriftedDaemon.storageRoot.resolve(DriftedDaemon.dataset.localPlugin(plugin).pkg().key(StorageLayout.DEFAULT.packages()));
    }

    private static void movePackageAway(int plugin) throws IOException {
        Path p = packagePath(plugin);
        Files.move(p, p.resolveSibling(p.getFileName() + ".away"));
    }

    private static void restorePackage(int plugin) throws IOException {
        Path p = packagePath(plugin);
        Path away = p.resolveSibling(p.getFileName() + ".away");
        if (Files.exists(away)) {
            Files.move(away, p);
        }
    }

    private static String storedState(String channel) throws Exception {
        try (Connection c = DriftedDaemon.database.connect();
                PreparedStatement ps = c.prepareStatement("SELECT state FROM plugin_reconciler.notify_state WHERE channel = ?")) {
            ps.setString(1, channel);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static String storedStateWithin(String channel, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        String state = storedState(channel);
        while (state == null && System.nanoTime() < deadline) {
            Thread.sleep(50);
            state = storedState(channel);
        }
        return state;
    }

    private static void setStoredState(String channel, String state) throws Exception {
        try (Connection c = DriftedDaemon.database.connect();
                PreparedStatement ps = c.prepareStatement("UPDATE plugin_reconciler.notify_state SET state = ? WHERE channel = ?")) {
            ps.setString(1, state);
            ps.setString(2, channel);
            assertEquals(1, ps.executeUpdate());
        }
    }
}
