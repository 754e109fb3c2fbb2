package dify.reconciler.run;

import static dify.reconciler.catalog.FindingKind.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.detect.FindingSink;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.Sweep;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The drift catalog's storage kinds on every backend, from the daemon's own variables: a clean dataset scans clean,
 * then every kind a store can show is planted at once (each at its own plugin) and each is reported exactly once,
 * at its key, and nothing else. {@link DriftCatalogTest} proves each kind alone, in detail, on S3 and local storage;
 * this proves a backend lists, reads and versions what detection needs, at one seed and two scans a backend, in the
 * layout the product derives from that backend's variables (on GCS the daemon lists the raw prefix {@code plugin}).
 * One backend while developing it: {@code -Dtest.stores=<name>}.
 */
class EveryStoreCatalogTest {

    @ParameterizedTest(name = "{0}")
    @MethodSource("dify.reconciler.testsupport.StoresUnderTest#all")
    @Tag(Sweep.TAG)
    void everyStorageKindIsReportedOnceAtItsKey(StoresUnderTest.Backend backend) {
        try (DriftFixture f = new DriftFixture(backend, SchemaFixture.CURRENT)) {
            FindingSink clean = f.scan(true);
            assertEquals(Map.of(), DriftFixture.counts(clean), () -> backend + ": the seeded dataset is clean: " + clean.findings());

            Map<FindingKind, String> expected = new TreeMap<>();
            String invalid = "plugin/langgenius/email_0.0.7@6c3856490275f3440619fabfdc54f3bd29bad8959e29996452277b9c3b0c5e9b";
            f.put(invalid, new byte[10]);
            expected.put(INVALID_INSTALLED_KEY, invalid);

            String installed = "plugin/" + f.dataset.localPlugin(1).uid();
            f.delete(installed);
            expected.put(INSTALLED_OBJECT_MISSING, installed);

            String pkg = "plugin_packages/" + f.dataset.localPlugin(2).uid();
            f.delete(pkg);
            expected.put(PACKAGE_MISSING, pkg);

            BuiltPackage leftover = DifyPackageBuilder.aPackage().author("acme").name("leftover").version("2.0.0").build();
            f.put("plugin/" + leftover.identifier(), leftover.bytes());
            expected.put(INSTALLED_OBJECT_ORPHANED, "plugin/" + leftover.identifier());

            BuiltPackage uploaded = DifyPackageBuilder.aPackage().author("acme").name("uploaded").version("0.1.0").build();
            f.put("plugin_packages/" + uploaded.identifier(), uploaded.bytes());
            expected.put(PACKAGE_ORPHANED, "plugin_packages/" + uploaded.identifier());

            String asset = "assets/" + f.dataset.localPlugin(5).assetId();
            f.delete(asset);
            expected.put(ASSET_MISSING, asset);

            byte[] icon = "<svg/>".getBytes(StandardCharsets.UTF_8);
            String stale = "assets/" + BuiltPackage.assetId("stale.svg", icon);
            f.put(stale, icon);
            expected.put(ASSET_ORPHANED, stale);

            DifyDataset.Plugin truncated = f.dataset.localPlugin(3);
            String truncatedKey = "plugin_packages/" + truncated.uid();
            f.put(truncatedKey, Arrays.copyOf(truncated.pkg().bytes(), truncated.pkg().bytes().length / 2));
            expected.put(CHECKSUM_MISMATCH, truncatedKey);

            DifyDataset.Plugin p = f.dataset.localPlugin(0);
            BuiltPackage signed = DifyPackageBuilder.aPackage().author("langgenius").name(p.pkg().name())
                    .version(p.pkg().version()).icon("icon.svg", p.iconBytes())
                    .file("main.py", "print('" + p.pkg().name() + "')\n").comment("signature: abc").build();
            f.put("plugin/" + p.uid(), signed.bytes());
            expected.put(INSTALLED_COPY_DIFFERS, "plugin/" + p.uid());

            f.put(f.dataset.persistencePrefix + "cache/written-later", new byte[100]);
            expected.put(TENANT_STORAGE_DRIFT, f.dataset.persistencePrefix);

            // A Windows daemon's separator, for a plugin whose plugin/ copy is clean and stays; next to a folder that only
            // looks like it (plugins\…), which is no daemon folder and no finding.
            // Not on Azure Blob: the service stores '\\' in a blob name as '/' (seen on Azurite: the key below overwrote
            // the plugin/ copy), so a Windows daemon's key is the ordinary key there and nothing is misread.
            boolean backslashKeys = !backend.name().equals("azure_blob");
            String windows = "plugin\\" + f.dataset.localPlugin(4).uid().replace('/', '\\');
            if (backslashKeys) {
                f.put(windows, new byte[12]);
                f.put("plugins\\" + f.dataset.localPlugin(4).uid().replace('/', '\\'), new byte[12]);
            }

            // The daemon's view of each backend, in the layout the product derives from its variables: only GCS's daemon
            // lists the raw prefix 'plugin' (no slash) and runs this key as a plugin; elsewhere it is no daemon folder.
            boolean rawPrefixes = backend.name().equals("gcs");
            assertEquals(rawPrefixes, f.layout.daemonListsRawPrefixes(), backend::toString);
            String noSlash = "plugin" + f.dataset.localPlugin(6).uid();
            f.put(noSlash, new byte[9]);

            FindingSink sink = f.scan(true);
            List<Finding> noSlashFindings = sink.findings().stream().filter(x -> noSlash.equals(x.key())).toList();
            assertEquals(rawPrefixes ? List.of(INVALID_INSTALLED_KEY) : List.of(), noSlashFindings.stream().map(Finding::kind).toList(),
                    () -> backend + ": " + sink.findings());
            List<Finding> windowsFindings = sink.findings().stream().filter(x -> windows.equals(x.key())).toList();
            assertEquals(backslashKeys ? 1 : 0, windowsFindings.size(), () -> backend + ": " + sink.findings());
            if (backslashKeys) {
                assertEquals(INVALID_INSTALLED_KEY, windowsFindings.get(0).kind());
                assertEquals(f.dataset.localPlugin(4).uid(), windowsFindings.get(0).pluginUniqueIdentifier());
            }
            Map<FindingKind, String> found = new TreeMap<>();
            for (Finding finding : sink.findings()) {
                if (windows.equals(finding.key()) || noSlash.equals(finding.key())) {
                    continue;
                }
                String previous = found.put(finding.kind(), finding.key());
                assertEquals(null, previous, () -> backend + ": " + finding.kind() + " reported twice: " + sink.findings());
            }
            assertEquals(expected, found, () -> backend + ": " + sink.findings());
        }
    }
}
