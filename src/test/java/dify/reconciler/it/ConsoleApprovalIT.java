package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.Await;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.Chromium;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The console, approval, suspension, change windows, doctor and the webhook in the packaged service against real
 * PostgreSQL and S3Proxy, in a real headless browser. One armed service with {@code approval=required}, a change
 * window open now (two windows covering the day, one wrapping past midnight) and a webhook to a local receiver:
 * the overview shows the real scan, the plan page the published plan; approved from the browser under a typed
 * name, the next tick applies exactly that plan (full table dumps and the bucket's bytes as planned, every audit row
 * carrying the name); a run restore from the actions page gives back every row and byte; suspended from the breaker
 * page, the service is restarted (changes now on the management port only): still suspended (API and gauge), a scan
 * applies nothing, the console is read-only with the reason and offers no mutating control; {@code doctor} (command)
 * and {@code GET /api/v1/doctor} give the same checks, with the suspension as a warning; resumed, the next plan is
 * published; the webhook got {@code plan_awaits_approval} once per published plan id. Two service launches and one
 * command.
 */
class ConsoleApprovalIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String TOKEN = "console-it-token-8c41d2";
    private static final String APPROVER = "carol@example.org";

    @Test
    void approveRestoreSuspendAcrossARestartFromTheBrowserOnS3() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("console-it-" + System.nanoTime());
        S3Client client = s3.client();
        List<JsonNode> notices = Collections.synchronizedList(new ArrayList<>());
        HttpServer receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        receiver.createContext("/hook", exchange -> {
            notices.add(JSON.readTree(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
        WebDriver browser = null;
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, List<String>> originalTables = TableDump.daemon(db);
            String pluginRow = dataset.localPlugin(1).pluginRowId().toString();
            DaemonRows.on(db).execute("UPDATE plugins SET refers = 1 WHERE id = ?", dataset.localPlugin(1).pluginRowId());
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            writer.put(orphan, "a package nobody declared");
            Map<String, List<String>> plantedTables = TableDump.daemon(db);
            Map<String, String> plantedBucket = BucketContents.of(client, bucket);
            Map<String, String> appliedBucket = new TreeMap<>(plantedBucket);
            appliedBucket.put("reconciler-quarantine/" + orphan, appliedBucket.remove(orphan));

            Map<String, String> env = EagerRemediation.armed(EagerRemediation.on(db.ownerS3Environment(s3, bucket)));
            env.put("RECONCILER_REMEDIATION_KINDS", "refers_too_low,package_orphaned");
            env.put("RECONCILER_REMEDIATION_APPROVAL", "required");
            env.put("RECONCILER_REMEDIATION_WINDOWS", "daily 00:00-12:00 UTC; daily 12:00-00:00 UTC");
            env.put("RECONCILER_NOTIFY_WEBHOOK_URL", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook");
            env.put("RECONCILER_API_TOKEN", TOKEN);
            env.put("RECONCILER_INTERVAL", "off");
            env.put("RECONCILER_LEADER_RETRY_INTERVAL", "1s");

            String firstPlan;
            try (RunningService service = RunningService.start(env)) {
                leading(service);
                String scanned = scan(service, service.port());
                firstPlan = pendingPlan(service);
                assertEquals(plantedTables, TableDump.daemon(db), "published, not applied");

                browser = Chromium.start();
                String console = "http://127.0.0.1:" + service.port() + "/";
                browser.get(console);
                page(browser, "overview");
                JsonNode report = JSON.readTree(service.get("/api/v1/report").body());
                assertEquals(report.at("/summary/total").asText(), fact(browser, "total"));
                assertEquals(report.at("/summary/bySeverity/critical").asText(), fact(browser, "critical"));
                assertTrue(text(browser, "#chip-run").startsWith("last scan: success"), text(browser, "#chip-run"));
                assertEquals(scanned, report.get("runId").asText());

                browser.findElement(By.cssSelector("nav a[href='#plan']")).click();
                page(browser, "plan");
                assertEquals(firstPlan, fact(browser, "published plan"));
                assertEquals("pending", fact(browser, "status"));
                assertEquals("2", fact(browser, "actions"));
                Chromium.screenshot(browser, "approval");
                enterToken(browser);
                WebElement actor = browser.findElement(By.id("actor"));
                actor.clear();
                actor.sendKeys(APPROVER);
                browser.findElement(By.id("approve")).click();
                browser.switchTo().alert().accept();
                awaitMessage(browser, "approved");
                assertEquals("approval of plan " + firstPlan + ": plan " + firstPlan + " is approved (by " + APPROVER + ")",
                        text(browser, "#message"));
                assertEquals(plantedTables, TableDump.daemon(db), "approved: applied at the next tick, not before");

                String applyRun = scan(service, service.port());
                assertEquals(originalTables, TableDump.daemon(db), "refers repaired to what it was before the drift");
                assertEquals(appliedBucket, BucketContents.of(client, bucket),
                        "the orphan moved under the quarantine prefix, no other byte");
                assertEquals("applied", JSON.readTree(service.get("/api/v1/plans/" + firstPlan).body()).get("status").asText());
                JsonNode audit = JSON.readTree(service.get("/api/v1/actions?plan=" + firstPlan).body()).get("actions");
                assertEquals(4, audit.size(), "two planned, two applied: " + audit);
                for (JsonNode row : audit) {
                    assertEquals(APPROVER, row.get("approvedBy").asText(), row.toString());
                }
                assertTrue(audit.toString().contains(pluginRow) && audit.toString().contains(orphan), audit.toString());

                browser.findElement(By.cssSelector("nav a[href='#actions']")).click();
                page(browser, "actions");
                assertEquals(2, browser.findElements(By.cssSelector("button.restore-action")).size(), "one per applied action");
                browser.findElement(By.cssSelector("button.restore-run[data-run='" + applyRun + "']")).click();
                browser.switchTo().alert().accept();
                awaitMessage(browser, "restored");
                assertTrue(text(browser, "#message").startsWith("restore of run " + applyRun + ": 2 of 2 restored"),
                        text(browser, "#message"));
                assertEquals(plantedTables, TableDump.daemon(db), "the daemon's tables as before the apply");
                assertEquals(plantedBucket, BucketContents.of(client, bucket), "every object's bytes as before the apply");
                page(browser, "actions");
                assertEquals(0, browser.findElements(By.cssSelector("button.restore-action, button.restore-run")).size(),
                        "nothing left to restore");

                browser.findElement(By.cssSelector("nav a[href='#breaker']")).click();
                page(browser, "breaker");
                browser.findElement(By.id("suspend-reason")).sendKeys("daemon upgrade tonight");
                browser.findElement(By.id("suspend")).click();
                awaitMessage(browser, "suspension:");
                assertEquals("suspension: remediation suspended", text(browser, "#message"));
                service.stop();
            }

            int management = S3ProxyServer.freeLoopbackPort();
            env.put("RECONCILER_API_MUTATING_ON", "management");
            env.put("RECONCILER_API_MANAGEMENT_PORT", Integer.toString(management));
            try (RunningService restarted = RunningService.start(env)) {
                leading(restarted);
                JsonNode suspension = JSON.readTree(restarted.get("/api/v1/remediation/suspension").body());
                assertTrue(suspension.get("suspended").asBoolean(), suspension.toString());
                assertEquals(APPROVER, suspension.get("by").asText());
                assertEquals("daemon upgrade tonight", suspension.get("reason").asText());
                assertEquals("1.0", restarted.metric("plugin_reconciler_remediation_suspended"));

                scan(restarted, management);
                JsonNode plan = JSON.readTree(restarted.get("/api/v1/plan").body());
                assertFalse(plan.get("applied").asBoolean(), plan.toString());
                assertTrue(plan.get("note").asText().contains("suspended by " + APPROVER), plan.toString());
                assertEquals(2, plan.at("/plan/actions").size(), "the drift is back and planned: " + plan);
                assertEquals(plantedTables, TableDump.daemon(db), "suspended: nothing applied");
                assertEquals(plantedBucket, BucketContents.of(client, bucket), "suspended: nothing applied");
                assertEquals(firstPlan, pendingPlanOrApplied(restarted), "suspended: no new plan published");

                browser.get("http://127.0.0.1:" + restarted.port() + "/#breaker");
                page(browser, "breaker");
                assertTrue(browser.findElement(By.id("readonly")).isDisplayed());
                assertEquals("read-only here: changes are served on the management port only (RECONCILER_API_MUTATING_ON=management)",
                        text(browser, "#readonly"));
                assertTrue(fact(browser, "remediation").startsWith("suspended"), fact(browser, "remediation"));
                assertFalse(browser.findElement(By.id("token-form")).isDisplayed(), "no token to enter where nothing can change");
                assertEquals(List.of(), browser.findElements(By.cssSelector("#page button, #page form")), "no mutating control");
                assertTrue(text(browser, "#page").contains("read-only here"), text(browser, "#page"));
                Chromium.screenshot(browser, "read-only");
                for (String other : List.of("plan", "actions")) {
                    browser.findElement(By.cssSelector("nav a[href='#" + other + "']")).click();
                    page(browser, other);
                    assertEquals(List.of(), browser.findElements(By.cssSelector("#page button.danger, #approve")), other);
                }

                HttpResponse<String> overApi = restarted.get("/api/v1/doctor");
                assertEquals(200, overApi.statusCode(), overApi.body());
                PackagedApp.Outcome command = PackagedApp.run(env, "doctor", "--format", "json");
                assertEquals(1, command.exitCode(), "warnings (the suspension): " + command.stdout() + command.stderr());
                JsonNode fromCommand = JSON.readTree(command.stdout()).get("checks");
                JsonNode fromApi = JSON.readTree(overApi.body()).get("checks");
                assertEquals(names(fromApi), names(fromCommand), "the same checks");
                for (String name : List.of("approval", "windows", "suspension", "configuration", "state")) {
                    assertEquals(check(fromApi, name).toString(), check(fromCommand, name).toString(), name);
                }
                assertEquals("warn", check(fromCommand, "suspension").get("status").asText());
                assertTrue(check(fromCommand, "suspension").get("detail").asText().contains(APPROVER), fromCommand.toString());
                assertEquals("ok", check(fromCommand, "windows").get("status").asText());
                assertTrue(check(fromCommand, "windows").get("detail").asText().contains("open now"), fromCommand.toString());
                assertTrue(check(fromCommand, "approval").get("detail").asText().contains("required"), fromCommand.toString());

                assertEquals(200, restarted.post(management, "/api/v1/remediation/resume", TOKEN).statusCode());
                assertEquals("0.0", restarted.metric("plugin_reconciler_remediation_suspended"));
                scan(restarted, management);
                String secondPlan = pendingPlan(restarted);
                assertFalse(secondPlan.equals(firstPlan));
                assertEquals(plantedTables, TableDump.daemon(db), "resumed: published for approval, not applied");
                assertFalse(restarted.log().contains(TOKEN), "the token is never logged");
                // The notice is sent by the service's webhook thread after the scan answered: wait for it while it runs.
                Await.until("the notices of both plans", Duration.ofSeconds(60), () -> approvalNotices(notices).size() >= 2);
                Thread.sleep(500); // a repeat would follow its first at once
            }

            List<String> published = publishedPlanIds(db);
            assertEquals(2, published.size(), published.toString());
            assertEquals(published.stream().sorted().toList(), approvalNotices(notices).stream().sorted().toList(),
                    "plan_awaits_approval once per published plan id");
        } finally {
            if (browser != null) {
                browser.quit();
            }
            receiver.stop(0);
        }
    }

    private static void leading(RunningService service) throws Exception {
        Await.until("leading", Duration.ofSeconds(30), () -> "1.0".equals(service.metric("plugin_reconciler_leader")));
    }

    /** A scan started over the API on {@code port} (the main or the management port); its run id. */
    private static String scan(RunningService service, int port) throws Exception {
        HttpResponse<String> r = service.post(port, "/api/v1/runs", TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode run = JSON.readTree(r.body());
        assertEquals("success", run.get("result").asText(), r.body());
        return run.get("runId").asText();
    }

    private static String pendingPlan(RunningService service) throws Exception {
        HttpResponse<String> r = service.get("/api/v1/plans/pending");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode p = JSON.readTree(r.body());
        assertEquals("pending", p.get("status").asText(), r.body());
        assertEquals(2, p.at("/plan/actions").size(), r.body());
        return p.get("planId").asText();
    }

    /** The latest published plan's id, whatever its status. */
    private static String pendingPlanOrApplied(RunningService service) throws Exception {
        HttpResponse<String> r = service.get("/api/v1/plans/pending");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("planId").asText();
    }

    private static List<String> approvalNotices(List<JsonNode> notices) {
        synchronized (notices) {
            return notices.stream().filter(n -> "plan_awaits_approval".equals(n.path("event").asText())).map(n -> n.get("planId").asText())
                    .toList();
        }
    }

    private static List<String> publishedPlanIds(TestDatabase db) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT plan_id FROM plugin_reconciler.approval_plans");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    private static List<String> names(JsonNode checks) {
        List<String> names = new ArrayList<>();
        checks.forEach(c -> names.add(c.get("name").asText()));
        return names;
    }

    private static JsonNode check(JsonNode checks, String name) {
        for (JsonNode c : checks) {
            if (c.get("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + checks);
    }

    private static void page(WebDriver browser, String name) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> {
            WebElement main = d.findElement(By.id("page"));
            return name.equals(main.getAttribute("data-page")) && main.getAttribute("aria-busy") == null;
        });
        List<WebElement> errors = browser.findElements(By.cssSelector("#page p.error"));
        assertTrue(errors.isEmpty(), () -> name + " failed: " + errors.get(0).getText());
    }

    private static void enterToken(WebDriver browser) {
        WebElement input = browser.findElement(By.id("token"));
        input.clear();
        input.sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        assertEquals("token set for this tab", text(browser, "#token-state"));
    }

    private static void awaitMessage(WebDriver browser, String part) {
        new WebDriverWait(browser, Duration.ofSeconds(60)).until(d -> d.findElement(By.id("message")).getText().contains(part));
    }

    private static String fact(WebDriver browser, String label) {
        return browser.findElement(By.xpath("//dl[contains(@class,'facts')]/dt[normalize-space()='" + label
                + "']/following-sibling::dd[1]")).getText();
    }

    private static String text(WebDriver browser, String css) {
        return browser.findElement(By.cssSelector(css)).getText();
    }
}
