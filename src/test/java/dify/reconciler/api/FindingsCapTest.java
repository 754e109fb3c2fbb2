package dify.reconciler.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestApi;
import dify.reconciler.testsupport.TestDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A flood of info findings and one critical finding, with a small findings cap: the critical one is found
 * after the list is already full (endpoints are checked in the database phase, packages in the storage phase),
 * and must still be in the report and in {@code /api/v1/findings?severity=critical}; the counts stay exact.
 */
@QuarkusTest
@WithTestResource(FindingsCapTest.FloodedDaemon.class)
class FindingsCapTest {

    static final int CAP = 10;
    static final int ORPHANED_ENDPOINTS = 40;

    @Test
    void keepsTheCriticalFindingWhenInfoFindingsExceedTheCap() {
        TestApi.authorized().when().post("/api/v1/runs").then().statusCode(200).body("result", equalTo("success"))
                .body("findings", equalTo(ORPHANED_ENDPOINTS + 1)).body("bySeverity.critical", equalTo(1));

        given().queryParam("severity", "critical").when().get("/api/v1/findings").then().statusCode(200)
                .body("total", equalTo(1)).body("findingsTruncated", equalTo(true))
                .body("findings[0].kind", equalTo("package_missing"))
                .body("findings[0].pluginUniqueIdentifier", equalTo(FloodedDaemon.missingPackageUid));
        given().when().get("/api/v1/report").then().statusCode(200)
                .body("findingsTruncated", equalTo(true))
                .body("findings", hasSize(CAP))
                .body("findings[0].kind", equalTo("package_missing"))
                .body("findings[1..9].kind", everyItem(equalTo("endpoint_orphaned")))
                .body("summary.total", equalTo(ORPHANED_ENDPOINTS + 1))
                .body("summary.byKind.endpoint_orphaned", equalTo(ORPHANED_ENDPOINTS))
                .body("summary.byKind.package_missing", equalTo(1))
                .body("summary.bySeverity.info", equalTo(ORPHANED_ENDPOINTS));
        // State in memory (SELECT-only role): the console's ledger view is the report's capped list, and says so.
        given().when().get("/api/v1/ledger").then().statusCode(200).body("source", equalTo("report"))
                .body("findingsTruncated", equalTo(true)).body("total", equalTo(CAP))
                .body("findings[0].kind", equalTo("package_missing"));
        given().queryParam("q", FloodedDaemon.missingPackageUid.toUpperCase(java.util.Locale.ROOT)).when().get("/api/v1/ledger")
                .then().statusCode(200).body("total", equalTo(1))
                .body("findings[0].pluginUniqueIdentifier", equalTo(FloodedDaemon.missingPackageUid));
    }

    /** A consistent daemon (local storage) with one package object gone and many endpoints left behind. */
    public static class FloodedDaemon implements QuarkusTestResourceLifecycleManager {

        static volatile String missingPackageUid;

        private TestDatabase db;

        @Override
        public Map<String, String> start() {
            db = SchemaFixture.CURRENT.newDatabase();
            Path root;
            try {
                root = Files.createTempDirectory("reconciler-cap-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Instant old = Instant.now().minus(Duration.ofHours(2));
            LocalObjectWriter objects = new LocalObjectWriter(root);
            DaemonRows rows = DaemonRows.on(db);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES)
                    .seed(rows, objects, StorageLayout.DEFAULT, old);
            DifyDataset.Plugin broken = dataset.localPlugin(1);
            try {
                Files.delete(objects.resolve(broken.pkg().key(StorageLayout.DEFAULT.packages())));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            missingPackageUid = broken.uid();
            // Endpoints of tenants that have no installation of the plugin: what every uninstall leaves behind.
            for (int i = 0; i < ORPHANED_ENDPOINTS; i++) {
                rows.insertEndpoint(UUID.randomUUID().toString(), dataset.localPlugin(0).pluginId(), "hook-" + i,
                        "default", old);
            }
            return Map.of(
                    "DB_HOST", db.host(),
                    "DB_PORT", String.valueOf(db.port()),
                    "DB_USERNAME", db.username(),
                    "DB_PASSWORD", db.password(),
                    "DB_DATABASE", db.name(),
                    "PLUGIN_STORAGE_TYPE", "local",
                    "PLUGIN_STORAGE_LOCAL_ROOT", root.toString(),
                    "reconciler.grace-period", "0s",
                    "reconciler.interval", "off",
                    "reconciler.max-findings-per-report", String.valueOf(CAP));
        }

        @Override
        public void stop() {
            if (db != null) {
                db.close();
            }
        }
    }
}
