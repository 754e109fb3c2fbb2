package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.detect.GraceWindow;
import dify.reconciler.inventory.postgres.DaemonDatabaseReader;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoresUnderTest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The daemon's view of a GCS bucket, on the GCS test server with real PostgreSQL, in the layout the product derives
 * from the daemon's variables: the daemon lists the raw prefix {@code plugin}, so {@code plugin<identifier>} is a
 * plugin it runs (reported as {@code invalid_installed_key}), while the {@code plugin_packages/} keys it also lists
 * are said once in a note, never as findings, and are not counted as installed objects.
 */
class GcsDaemonViewScanTest {

    @Test
    void aPluginKeyWithoutSlashIsReportedAndPackageKeysGiveOneNote() {
        try (DriftFixture f = new DriftFixture(StoresUnderTest.named("gcs"), SchemaFixture.CURRENT)) {
            StorageLayout layout = daemonLayout(f.store.daemonEnvironment());
            assertTrue(layout.daemonListsRawPrefixes());
            long packages = f.store.contents().keySet().stream().filter(k -> k.startsWith("plugin_packages/")).count();
            long installed = f.store.contents().keySet().stream().filter(k -> k.startsWith("plugin/")).count();
            assertTrue(packages > 0 && installed > 0);

            Scanned clean = scan(f, layout);
            assertEquals(Map.of(), DriftFixture.counts(clean.sink()), () -> clean.sink().findings().toString());
            assertEquals(1, clean.sink().notes().size(), clean.sink().notes().toString());
            assertTrue(clean.sink().notes().get(0).startsWith(packages + " object(s) of other daemon folders (such as"
                    + " plugin_packages/) start with 'plugin'"), clean.sink().notes().get(0));
            assertEquals(installed, clean.objectsListed().get("plugin"), "packages are not counted as installed objects");

            String uid = f.dataset.localPlugin(1).uid();
            f.put("plugin" + uid, new byte[7]);
            Scanned after = scan(f, layout);
            assertEquals(Map.of(FindingKind.INVALID_INSTALLED_KEY, 1L), DriftFixture.counts(after.sink()));
            Finding finding = after.sink().findings().get(0);
            assertEquals("plugin" + uid, finding.key());
            assertTrue(finding.detail().contains("reads it as installed plugin " + uid + ": it starts that plugin from"
                    + " plugin_packages/" + uid), finding.detail());
            assertEquals(f.store.nativeVersionTag("plugin" + uid), finding.observed().etag());
            assertEquals(1, after.sink().notes().size(), "still one note: " + after.sink().notes());
            assertEquals(installed + 1, after.objectsListed().get("plugin"));
        }
    }

    private record Scanned(FindingSink sink, Map<String, Long> objectsListed) {
    }

    /** The layout the product builds from the daemon's variables (the database ones are placeholders). */
    private static StorageLayout daemonLayout(Map<String, String> storageEnvironment) {
        Map<String, String> env = new HashMap<>(storageEnvironment);
        env.put("DB_HOST", "unused.invalid");
        env.put("DB_USERNAME", "unused");
        return DaemonSettings.from(name -> Optional.ofNullable(env.get(name))).layout();
    }

    private static Scanned scan(DriftFixture f, StorageLayout layout) {
        FindingSink sink = new FindingSink(1000);
        try (DaemonDatabaseReader reader = DaemonDatabaseReader.open(f.db.readerDataSource(), "public", 100, f.db.toString())) {
            Scan scan = new Scan(reader, f.storage, layout, new GraceWindow(Instant.now().plus(Duration.ofHours(1))),
                    Instant.now().minus(Duration.ofHours(1)), false, sink);
            scan.run();
            return new Scanned(sink, Map.copyOf(scan.objectsListed()));
        } catch (Exception e) {
            throw new AssertionError("scan failed: " + e.getMessage(), e);
        }
    }
}
