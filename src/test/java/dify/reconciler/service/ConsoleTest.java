package dify.reconciler.service;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.leader.LeaderElection;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.Chromium;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.Leadership;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestApi;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real headless browser (Debian's chromium through its chromedriver), reached through a proxy
 * that strips the path prefix {@code /reconciler/} as an ingress would: every page renders the real scan's data,
 * the findings page filters and pages over the whole ledger, a restore per action and per run round-trips from the
 * actions page (the daemon's tables and the storage folder byte-identical to before the apply), a change without the
 * token is refused and the page shows the service's answer, and nothing the page asks for leaves the origin or the
 * prefix. One browser session for the class; a screenshot per page under {@code target/console-screenshots/}.
 * Same profile and fixture as {@link ServiceRemediationTest} (armed for refers_too_low and endpoint_orphaned, local
 * storage), so Quarkus is not restarted for it.
 */
@QuarkusTest
@TestProfile(ConsoleTest.ArmedConsole.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleTest {

    /**
     * {@link ServiceRemediationTest}'s armed service under a profile of its own: the two classes leave different runs,
     * plans and quarantine behind, and with the same profile and resources they would share one application (all
     * Quarkus tests run in one launch, {@code QuarkusApplicationTests}), where {@code ServiceRemediationTest} counts what
     * it finds. A profile class of its own is a start of its own.
     */
    public static class ArmedConsole extends ServiceRemediationTest.ArmedService {
    }

    static final int ORPHANED_PACKAGES = 30;

    private static WebDriver driver;
    private static PrefixProxy proxy;
    private static Map<String, List<String>> original;
    private static Map<String, String> originalBucket;
    private static Map<String, List<String>> planted;
    private static Map<String, String> plantedBucket;
    private static String pluginRow;
    private static long refers;
    private static String firstRun;
    private static final List<String> PLANTED_KEYS = new ArrayList<>();

    @TestHTTPResource("/")
    URL service;

    @Inject
    LeaderElection election;

    @BeforeEach
    void browserThroughThePrefixAndLeading() throws Exception {
        Leadership.await(election);
        if (driver == null) {
            proxy = new PrefixProxy(service.toURI());
            driver = Chromium.start();
        }
    }

    @AfterAll
    static void closeBrowser() {
        if (driver != null) {
            driver.quit();
            driver = null;
        }
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
    }

    @Test
    @Order(1)
    void theOverviewShowsTheRealScan() throws Exception {
        original = TableDump.daemon(db());
        originalBucket = BucketContents.of(DriftedDaemonAccess.storageRoot());
        LocalObjectWriter objects = new LocalObjectWriter(DriftedDaemonAccess.storageRoot());
        for (int i = 0; i < ORPHANED_PACKAGES; i++) {
            String key = String.format("plugin_packages/console/orphan-%02d:0.0.1@%064x", i, i + 1);
            objects.put(key, ("orphaned package " + i).getBytes(StandardCharsets.UTF_8));
            PLANTED_KEYS.add(key);
        }
        pluginRow = pluginRowId("langgenius/plugin1");
        refers = daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow);
        daemon().execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", pluginRow);
        planted = TableDump.daemon(db());
        plantedBucket = BucketContents.of(DriftedDaemonAccess.storageRoot());

        firstRun = scan();
        assertEquals(refers, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow), "applied");
        JsonPath report = given().get("/api/v1/report").then().statusCode(200).extract().jsonPath();

        driver.get(proxy.consoleUrl());
        page("overview");
        assertEquals("armed", text("#chip-armed"));
        assertEquals("leader", text("#chip-leader"));
        assertEquals("state: persisted", text("#chip-state"));
        assertEquals("breaker closed", text("#chip-breaker"));
        assertTrue(text("#chip-run").startsWith("last scan: success"), text("#chip-run"));
        assertEquals(String.valueOf(report.getInt("summary.bySeverity.critical")), fact("critical"));
        assertEquals(String.valueOf(report.getInt("summary.bySeverity.warning")), fact("warning"));
        assertEquals(String.valueOf(report.getInt("summary.bySeverity.info")), fact("info"));
        assertEquals(String.valueOf(report.getInt("summary.total")), fact("total"));
        assertEquals("success", fact("result"));
        assertEquals("armed (refers_too_low, endpoint_orphaned)", fact("remediation"));
        assertEquals(String.valueOf(ORPHANED_PACKAGES), kindCount("package_orphaned"));
        assertEquals("1", kindCount("package_missing"));
        assertEquals("1", kindCount("refers_too_low"));
        int runs = given().get("/api/v1/runs").then().extract().jsonPath().getList("runs").size();
        assertEquals(Math.min(30, runs), driver.findElements(By.cssSelector("#runs-chart rect")).size(), "one bar per run");
        screenshot("overview");
    }

    @Test
    @Order(2)
    void theFindingsPageFiltersAndPagesOverTheWholeLedger() throws Exception {
        JsonPath ledger = given().queryParam("limit", 1000).get("/api/v1/ledger").then().statusCode(200).extract().jsonPath();
        assertEquals("ledger", ledger.getString("source"));
        int total = ledger.getInt("total");
        assertTrue(total > 25 && total <= 50, "more findings than a page, fewer than two: " + total);
        Set<String> all = new HashSet<>();
        for (Map<String, Object> f : ledger.<Map<String, Object>>getList("findings")) {
            all.add(f.get("kind") + " " + subject(f));
        }
        assertEquals(total, all.size());

        click("nav a[href='#findings']");
        page("findings");
        assertEquals("1–25 of " + total, text("#range"));
        Set<String> shown = new HashSet<>(rows());
        assertEquals(25, shown.size());
        WebElement before = driver.findElement(By.cssSelector("tr.finding"));
        click("#next");
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.stalenessOf(before));
        page("findings");
        assertEquals("26–" + total + " of " + total, text("#range"));
        List<String> second = rows();
        assertEquals(total - 25, second.size());
        shown.addAll(second);
        assertEquals(all, shown, "the two pages together are the whole ledger, once each");
        screenshot("findings");

        filter("kind", "package_missing");
        List<WebElement> rows = driver.findElements(By.cssSelector("tr.finding"));
        assertEquals(1, rows.size());
        assertEquals("1–1 of 1", text("#range"));
        String expectedKey = given().queryParam("kind", "package_missing").get("/api/v1/findings").then().extract().path("findings[0].key");
        assertNotNull(expectedKey);
        assertEquals(expectedKey, rows.get(0).findElement(By.cssSelector("td.subject")).getText().lines().findFirst().orElse(""));
        rows.get(0).findElement(By.cssSelector("summary")).click();
        String details = rows.get(0).findElement(By.cssSelector("details")).getText();
        assertTrue(details.contains("In Dify: upgrade fails with 'failed to get package file'"), details);
        WebElement runbook = rows.get(0).findElement(By.cssSelector("a.runbook"));
        assertEquals("docs/runbook.md#pluginreconcilercriticalfindings", runbook.getText());
        assertTrue(runbook.getAttribute("href").endsWith("/docs/runbook.md#pluginreconcilercriticalfindings"),
                runbook.getAttribute("href"));

        new Select(driver.findElement(By.name("kind"))).selectByValue("");
        filter("q", "ORPHAN-07");
        rows = driver.findElements(By.cssSelector("tr.finding"));
        assertEquals(1, rows.size(), "search is case-insensitive and matches the key");
        assertTrue(rows.get(0).getText().contains("console/orphan-07:0.0.1@"), rows.get(0).getText());
        driver.findElement(By.name("q")).clear();
        filter("severity", "critical");
        assertEquals("1–" + ledger.getList("findings.findAll { it.severity == 'critical' }").size() + " of "
                + ledger.getList("findings.findAll { it.severity == 'critical' }").size(), text("#range"));
        for (WebElement sev : driver.findElements(By.cssSelector("tr.finding td:first-child"))) {
            assertEquals("critical", sev.getText());
        }
    }

    @Test
    @Order(3)
    void thePlanPageShowsWhatWasAppliedAndWithheld() throws Exception {
        JsonPath plan = given().get("/api/v1/plan").then().statusCode(200).extract().jsonPath();
        click("nav a[href='#plan']");
        page("plan");
        String main = text("#page");
        assertEquals(plan.getString("plan.planId"), fact("plan"));
        assertEquals("armed", fact("mode"));
        assertEquals("yes", fact("applied"));
        assertEquals("No guard stopped this plan.", text("#guards"));
        List<WebElement> actions = driver.findElements(By.cssSelector("tr.plan-action"));
        assertEquals(1, actions.size());
        assertTrue(actions.get(0).getText().contains("refers_too_low"), actions.get(0).getText());
        assertTrue(actions.get(0).getText().contains("applied"), actions.get(0).getText());
        assertEquals(plan.getLong("plan.withheldTotal"), driver.findElements(By.cssSelector("tr.withheld")).size());
        assertTrue(main.contains("Withheld (" + plan.getLong("plan.withheldTotal") + ")"), main);
        screenshot("plan");
    }

    @Test
    @Order(4)
    void aRestoreFromTheActionsPageRoundTripsAndNeedsTheToken() throws Exception {
        String actionId = given().queryParam("run", firstRun).queryParam("outcome", "applied").get("/api/v1/actions").then()
                .statusCode(200).body("total", equalTo(1)).extract().path("actions[0].actionId");
        Map<String, List<String>> applied = TableDump.daemon(db());
        assertEquals(true, restorable(actionId), "its quarantined row is there to put back");
        click("nav a[href='#actions']");
        page("actions");
        screenshot("actions");

        // No token in this tab: the service refuses and the page says so; nothing changed.
        restoreButton(actionId).click();
        driver.switchTo().alert().accept();
        awaitMessage("refused");
        String refused = text("#message");
        assertTrue(refused.contains("restore of action " + actionId + " refused: HTTP 401"), refused);
        assertTrue(refused.contains("Bearer"), refused);
        assertEquals(applied, TableDump.daemon(db()), "a refused restore changed nothing");

        enterToken();
        restoreButton(actionId).click();
        driver.switchTo().alert().accept();
        awaitMessage("restored");
        assertTrue(text("#message").contains("1 of 1 restored"), text("#message"));
        assertTrue(text("#message").contains(actionId + ": restored"), text("#message"));
        assertEquals(planted, TableDump.daemon(db()), "the daemon's tables are as before the apply");
        assertEquals(plantedBucket, BucketContents.of(DriftedDaemonAccess.storageRoot()), "the storage is as before the apply");
        assertEquals(false, restorable(actionId), "restored: a second restore would do nothing");
        page("actions");
        assertEquals(0, driver.findElements(By.cssSelector("button.restore-action[data-action='" + actionId + "']")).size(),
                "no Restore button for an action with nothing left to restore");
    }

    @Test
    @Order(5)
    void theQuarantinePageListsARunThatTheActionsPageThenRestoresWhole() throws Exception {
        String run = scan(); // applies the same repair again
        assertEquals(refers, daemon().queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow), "applied again");
        String actionId = given().queryParam("run", run).queryParam("outcome", "applied").get("/api/v1/actions").then()
                .statusCode(200).body("total", equalTo(1)).extract().path("actions[0].actionId");

        click("nav a[href='#quarantine']");
        page("quarantine");
        List<WebElement> items = driver.findElements(By.cssSelector("tr.quarantined"));
        assertEquals(1, items.size());
        assertTrue(items.get(0).getText().contains(actionId), items.get(0).getText());
        assertTrue(items.get(0).getText().contains("plugins " + pluginRow), items.get(0).getText());
        assertEquals("1–1 of 1", text("#range"));
        screenshot("quarantine");

        click("nav a[href='#actions']");
        page("actions");
        WebElement button = driver.findElement(By.cssSelector("button.restore-run[data-run='" + run + "']"));
        assertEquals(1, driver.findElements(By.cssSelector("button.restore-run")).size(), "the earlier run is restored already");
        button.click();
        driver.switchTo().alert().accept();
        awaitMessage("restored");
        assertTrue(text("#message").startsWith("restore of run " + run + ": 1 of 1 restored"), text("#message"));
        assertEquals(planted, TableDump.daemon(db()));
        assertEquals(plantedBucket, BucketContents.of(DriftedDaemonAccess.storageRoot()));
        given().get("/api/v1/quarantine").then().statusCode(200).body("total", equalTo(0));
    }

    @Test
    @Order(6)
    void theBreakerPageAcknowledgesOnlyWithTheToken() throws Exception {
        click("nav a[href='#breaker']");
        page("breaker");
        assertEquals("closed", fact("status"));
        click("#token-forget");
        driver.findElement(By.id("ack-reason")).sendKeys("checked the listing by hand");
        click("#ack");
        awaitMessage("refused");
        assertTrue(text("#message").contains("breaker acknowledgement refused: HTTP 401"), text("#message"));
        enterToken();
        page("breaker");
        driver.findElement(By.id("ack-reason")).clear();
        driver.findElement(By.id("ack-reason")).sendKeys("checked the listing by hand");
        click("#ack");
        awaitMessage("acknowledged");
        assertEquals("breaker acknowledgement: 0 trip(s) acknowledged", text("#message"));
        screenshot("breaker");
    }

    /**
     * Suspending and resuming from the breaker page, with the name given in the tab audited as who did it; the plan
     * page says why no plan awaits approval (this service runs with approval off).
     */
    @Test
    @Order(7)
    void theBreakerPageSuspendsAndResumesRemediationAsTheNamedPerson() throws Exception {
        try {
            click("nav a[href='#plan']");
            page("plan");
            assertTrue(text("#approval").contains("no plan was published for approval"), text("#approval"));
            click("nav a[href='#breaker']");
            page("breaker");
            assertEquals("not suspended", fact("remediation"));
            WebElement actor = driver.findElement(By.id("actor"));
            actor.clear();
            actor.sendKeys("alice");
            driver.findElement(By.id("suspend-reason")).sendKeys("daemon upgrade tonight");
            click("#suspend");
            awaitMessage("suspension:");
            assertEquals("suspension: remediation suspended", text("#message"));
            JsonPath suspended = given().get("/api/v1/remediation/suspension").then().statusCode(200).extract().jsonPath();
            assertTrue(suspended.getBoolean("suspended"));
            assertEquals("alice", suspended.getString("by"));
            assertEquals("daemon upgrade tonight", suspended.getString("reason"));
            page("breaker");
            assertTrue(fact("remediation").startsWith("suspended"), fact("remediation"));
            screenshot("suspension");
            click("#resume");
            awaitMessage("resume:");
            assertEquals("resume: remediation resumed", text("#message"));
            given().get("/api/v1/remediation/suspension").then().statusCode(200).body("suspended", equalTo(false));
        } finally {
            // Never leave the shared service suspended for the classes that run after this one.
            TestApi.authorized().post("/api/v1/remediation/resume").then().statusCode(200);
        }
    }

    @Test
    @Order(8)
    void nothingLeavesTheOriginOrThePrefixAndTheTokenTravelsOnlyAsAHeader() throws Exception {
        assertEquals(List.of(), proxy.outsidePrefix, "requests outside the prefix (absolute URLs)");
        @SuppressWarnings("unchecked")
        List<String> resources = (List<String>) ((JavascriptExecutor) driver)
                .executeScript("return performance.getEntriesByType('resource').map(e => e.name)"
                        + ".concat(performance.getEntriesByType('navigation').map(e => e.name))");
        assertFalse(resources.isEmpty());
        for (String r : resources) {
            assertTrue(r.startsWith(proxy.consoleUrl()), "loaded from elsewhere: " + r);
        }
        assertEquals("", ((JavascriptExecutor) driver).executeScript("return document.cookie"));
        boolean sentAsHeader = false;
        for (PrefixProxy.Seen s : proxy.seen) {
            assertFalse(s.uri().contains(TestApi.TOKEN), "the token in a URL: " + s.uri());
            if (s.method().equals("POST") && ("Bearer " + TestApi.TOKEN).equals(s.authorization())) {
                sentAsHeader = true;
            }
            if (s.method().equals("GET")) {
                assertEquals(null, s.authorization(), "a read carried the token: " + s.uri());
            }
        }
        assertTrue(sentAsHeader, "the restores carried the token as a bearer header");
        HttpResponse<String> index = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(proxy.consoleUrl())).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, index.statusCode());
        assertTrue(index.headers().firstValue("Content-Security-Policy").orElse("").startsWith("default-src 'self'"),
                index.headers().toString());

        // Leave the daemon as the fixture seeded it, and the ledger closed on the planted drift, for the next tests.
        daemon().execute("UPDATE plugins SET refers = ? WHERE id = ?::uuid", refers, pluginRow);
        for (String key : PLANTED_KEYS) {
            Files.delete(new LocalObjectWriter(DriftedDaemonAccess.storageRoot()).resolve(key));
        }
        scan();
        assertEquals(original, TableDump.daemon(db()));
        assertEquals(originalBucket, BucketContents.of(DriftedDaemonAccess.storageRoot()));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static void page(String name) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> {
            WebElement main = d.findElement(By.id("page"));
            return name.equals(main.getAttribute("data-page")) && main.getAttribute("aria-busy") == null;
        });
        List<WebElement> errors = driver.findElements(By.cssSelector("#page p.error"));
        assertTrue(errors.isEmpty(), () -> name + " failed: " + errors.get(0).getText());
    }

    private static void filter(String field, String value) {
        WebElement input = driver.findElement(By.name(field));
        if (input.getTagName().equals("select")) {
            new Select(input).selectByValue(value);
        } else {
            input.clear();
            input.sendKeys(value);
        }
        WebElement range = driver.findElement(By.id("range"));
        driver.findElement(By.cssSelector("#filters button[type=submit]")).click();
        new WebDriverWait(driver, Duration.ofSeconds(10)).until(ExpectedConditions.stalenessOf(range));
        page("findings");
    }

    private static List<String> rows() {
        List<String> out = new ArrayList<>();
        for (WebElement row : driver.findElements(By.cssSelector("tr.finding"))) {
            out.add(row.findElement(By.cssSelector("td.kind")).getText() + " "
                    + row.findElement(By.cssSelector("td.subject")).getText().lines().findFirst().orElse(""));
        }
        return out;
    }

    private static String subject(Map<String, Object> f) {
        for (String field : List.of("key", "id", "pluginUniqueIdentifier")) {
            if (f.get(field) != null) {
                return String.valueOf(f.get(field));
            }
        }
        return "—";
    }

    private static String fact(String label) {
        return driver.findElement(By.xpath("//dl[contains(@class,'facts')]/dt[normalize-space()='" + label
                + "']/following-sibling::dd[1]")).getText();
    }

    private static String kindCount(String kind) {
        WebElement link = driver.findElement(By.cssSelector("a[href='#findings?kind=" + kind + "']"));
        return link.findElement(By.xpath("../following-sibling::td")).getText();
    }

    /** {@code restorable} of the action's applied audit row, as {@code GET /api/v1/actions} says. */
    private static boolean restorable(String actionId) {
        return given().queryParam("outcome", "applied").queryParam("limit", 100).get("/api/v1/actions").then().statusCode(200)
                .extract().jsonPath().getBoolean("actions.find { it.actionId == '" + actionId + "' }.restorable");
    }

    private static WebElement restoreButton(String actionId) {
        return driver.findElement(By.cssSelector("button.restore-action[data-action='" + actionId + "']"));
    }

    private static void enterToken() {
        WebElement input = driver.findElement(By.id("token"));
        input.clear();
        input.sendKeys(TestApi.TOKEN);
        click("#token-save");
        assertEquals("token set for this tab", text("#token-state"));
        assertEquals("", input.getAttribute("value"), "the field is emptied once the token is kept");
    }

    private static void awaitMessage(String part) {
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> d.findElement(By.id("message")).getText().contains(part));
    }

    private static void click(String css) {
        driver.findElement(By.cssSelector(css)).click();
    }

    private static String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    private static void screenshot(String name) throws IOException {
        Chromium.screenshot(driver, name);
    }

    private static String scan() {
        return TestApi.authorized().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success")).extract()
                .path("runId");
    }

    private static String pluginRowId(String pluginId) throws java.sql.SQLException {
        try (java.sql.Connection c = db().connect();
                java.sql.PreparedStatement ps = c.prepareStatement("SELECT id::text FROM plugins WHERE plugin_id = ?")) {
            ps.setString(1, pluginId);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), pluginId);
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
