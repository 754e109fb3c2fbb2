package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InstalledObjectDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant NEW = Instant.parse("2026-08-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));
    private static final String UID = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final String UID2 = "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2";

    private static PluginRow plugin(String uid, String type, Instant changed) {
        return new PluginRow("id-" + uid.hashCode(), uid, uid.substring(0, uid.indexOf(':')), 1, type, changed, List.of());
    }

    private static FindingSink detect(List<StoredObject> objects, List<PluginRow> plugins, List<StoredObject> present) {
        FindingSink sink = new FindingSink(100);
        new InstalledObjectDetector("plugin/", GRACE, sink).detect(objects.iterator(), plugins, present::add);
        return sink;
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"plugin/", "plugin//junjiem/mcp_see_agent:0.2.2@2b54607cf4d6a03b39cdae1425af2d8bafd4dd87f3eef6dc3eaaa945c71c2231",
                    "plugin/langgenius\\openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a",
                    "plugin/langgenius/openai\uF03A0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a"})
    void reportsEveryInvalidKeyShape(String key) {
        FindingSink sink = detect(List.of(new StoredObject(key, 0, OLD)), List.of(), new ArrayList<>());
        assertEquals(1, sink.total());
        Finding f = sink.findings().get(0);
        assertEquals(FindingKind.INVALID_INSTALLED_KEY, f.kind());
        assertEquals(key, f.key());
        assertEquals(ObservedVersion.object(0, OLD, null), f.observed());
    }

    @Test
    void windowsKeysAreReportedWithTheIdentifierTheyWereWrittenForAndWhatTheDaemonDoes() {
        FindingSink sink = new FindingSink(100);
        InstalledObjectDetector detector = new InstalledObjectDetector(StorageLayout.DEFAULT, GRACE, sink);
        String windows = "plugin\\" + UID.replace('/', '\\');

        detector.detectWindowsKeys(List.of(new StoredObject(windows, 10, OLD, "e1"),
                new StoredObject("plugin\\langgenius\\openai", 3, OLD),
                new StoredObject("plugin\\" + UID2.replace('/', '\\'), 10, NEW)).iterator()); // young: spared

        assertEquals(2, sink.total(), sink.findings().toString());
        Finding f = sink.findings().get(0);
        assertEquals(FindingKind.INVALID_INSTALLED_KEY, f.kind());
        assertEquals(windows, f.key());
        assertEquals(UID, f.pluginUniqueIdentifier());
        assertEquals(ObservedVersion.object(10, OLD, "e1"), f.observed());
        assertEquals("key uses '\\' as separator (written by a daemon running natively on Windows, whose filepath.Join turns"
                + " '/' into '\\', or by a copy tool that used backslashes) for plugin " + UID + ": a daemon on Linux lists"
                + " 'plugin/' and never sees it, and it reads the installed copy of " + UID + " from plugin/" + UID
                + " instead; only a daemon on Windows reads this key. Report-only: we cannot tell whether a daemon on"
                + " Windows still uses it", f.detail());
        Finding noIdentifier = sink.findings().get(1);
        assertNull(noIdentifier.pluginUniqueIdentifier());
        assertTrue(noIdentifier.detail().contains("does not name a plugin unique identifier"), noIdentifier.detail());
    }

    @Test
    void onGcsAWindowsKeyInTheRawListingIsReportedWithTheGcsReading() {
        StorageLayout gcs = StorageLayout.DEFAULT.listedAsRawPrefixes();
        String windows = "plugin\\" + UID2.replace('/', '\\');
        List<StoredObject> listing = List.of( // UTF-8 byte order: '/' < '\\' < '_'
                new StoredObject("plugin/" + UID, 10, OLD),
                new StoredObject(windows, 20, OLD),
                new StoredObject("plugin_packages/" + UID, 10, OLD));
        FindingSink sink = new FindingSink(100);
        InstalledObjectDetector detector = new InstalledObjectDetector(gcs, GRACE, sink);

        detector.detect(listing.iterator(), List.of(plugin(UID, "local", OLD)), o -> {});

        Finding f = only(sink, FindingKind.INVALID_INSTALLED_KEY);
        assertEquals(windows, f.key());
        assertEquals(UID2, f.pluginUniqueIdentifier());
        assertTrue(f.detail().contains("the daemon's GCS storage lists the raw prefix 'plugin' and reads it as the invalid"
                + " identifier '\\langgenius\\tongyi:1.0.0@"), f.detail());
        assertEquals(1, sink.total(), sink.findings().toString());
        assertEquals(1, sink.notes().size(), "only the packages note, the Windows key is a finding: " + sink.notes());
    }

    @Test
    void onGcsReportsPluginIdentifierKeysAndNotesOtherFoldersOnceWithoutFindings() {
        // The daemon's GCS storage lists the raw prefix "plugin" and strips "plugin" plus at most one '/'.
        StorageLayout gcs = StorageLayout.DEFAULT.listedAsRawPrefixes();
        assertEquals("plugin", gcs.installedListing());
        List<StoredObject> listing = List.of( // UTF-8 byte order, as GCS lists it
                new StoredObject("plugin-backup/x", 1, OLD),
                new StoredObject("plugin/" + UID, 10, OLD),
                new StoredObject("plugin_packages/" + UID, 10, OLD),
                new StoredObject("plugin_packages/" + UID2, 20, OLD),
                new StoredObject("plugin" + UID2, 20, OLD, "1712"));
        FindingSink sink = new FindingSink(100);
        List<StoredObject> present = new ArrayList<>();
        InstalledObjectDetector detector = new InstalledObjectDetector(gcs, GRACE, sink);

        detector.detect(listing.iterator(), List.of(plugin(UID, "local", OLD)), present::add);

        Finding f = only(sink, FindingKind.INVALID_INSTALLED_KEY);
        assertEquals("plugin" + UID2, f.key());
        assertEquals(ObservedVersion.object(20, OLD, "1712"), f.observed());
        assertTrue(f.detail().contains("reads it as installed plugin " + UID2) && f.detail().contains("start/stop loop"),
                f.detail());
        assertEquals(1, sink.total(), "no finding for plugin_packages/ keys nor for the matched copy: " + sink.findings());
        assertEquals(List.of("plugin/" + UID), present.stream().map(StoredObject::key).toList());
        assertEquals(2, sink.notes().size(), sink.notes().toString());
        assertTrue(sink.notes().get(0).startsWith("2 object(s) of other daemon folders (such as plugin_packages/)")
                && sink.notes().get(0).contains("'_packages/…'"), sink.notes().get(0));
        assertTrue(sink.notes().get(1).contains("'plugin-backup/x'"), sink.notes().get(1));
        assertEquals(3, detector.keysNotInstalled());
    }

    @Test
    void hiddenNamesTheDaemonSkipsAreOneNoteWhileAHiddenNameDeeperIsStillReported() {
        List<StoredObject> listing = List.of( // UTF-8 byte order
                new StoredObject("plugin/.DS_Store", 6148, OLD),
                new StoredObject("plugin/.trash/" + UID, 10, OLD),
                new StoredObject("plugin/langgenius/.DS_Store", 6148, OLD),
                new StoredObject("plugin/" + UID, 10, OLD),
                new StoredObject("plugin/\uFF0EDS_Store", 6148, OLD)); // a full-width dot is not hidden to the daemon
        FindingSink sink = new FindingSink(100);
        InstalledObjectDetector detector = new InstalledObjectDetector("plugin/", GRACE, sink);

        detector.detect(listing.iterator(), List.of(plugin(UID, "local", OLD)), o -> {});

        assertEquals(List.of("plugin/langgenius/.DS_Store", "plugin/\uFF0EDS_Store"),
                sink.findings().stream().map(Finding::key).toList());
        assertTrue(sink.findings().stream().allMatch(f -> f.kind() == FindingKind.INVALID_INSTALLED_KEY));
        assertEquals(1, sink.notes().size(), sink.notes().toString());
        assertTrue(sink.notes().get(0).startsWith("2 hidden object(s) in the installed folder (first: 'plugin/.DS_Store')")
                && sink.notes().get(0).contains("never reads or logs them"), sink.notes().get(0));
        assertEquals(2, detector.keysNotInstalled());
    }

    @Test
    void onGcsTheRawListingSkipsHiddenNamesRightAfterTheRawPrefix() {
        StorageLayout gcs = StorageLayout.DEFAULT.listedAsRawPrefixes();
        List<StoredObject> listing = List.of( // UTF-8 byte order: '.' < '/'
                new StoredObject("plugin.DS_Store", 6148, OLD),
                new StoredObject("plugin/.DS_Store", 6148, OLD),
                new StoredObject("plugin/" + UID, 10, OLD),
                new StoredObject("plugin_packages/" + UID, 10, OLD));
        FindingSink sink = new FindingSink(100);
        InstalledObjectDetector detector = new InstalledObjectDetector(gcs, GRACE, sink);

        detector.detect(listing.iterator(), List.of(plugin(UID, "local", OLD)), o -> {});

        assertEquals(0, sink.total(), sink.findings().toString());
        assertEquals(2, sink.notes().size(), sink.notes().toString());
        assertTrue(sink.notes().get(0).startsWith("2 hidden object(s) in the installed folder (first: 'plugin.DS_Store')"),
                sink.notes().get(0));
        assertEquals(3, detector.keysNotInstalled());
        assertTrue(gcs.daemonSeesHiddenRawKey("plugin/.x"));
        assertTrue(!gcs.daemonSeesHiddenRawKey("plugin//.x") && !StorageLayout.DEFAULT.daemonSeesHiddenRawKey("plugin.x"));
    }

    @Test
    void aDaemonThatListsFoldersNeverReadsRawKeys() {
        assertEquals("plugin/", StorageLayout.DEFAULT.installedListing());
        assertNull(StorageLayout.DEFAULT.rawInstalledIdentifier("plugin" + UID));
        assertEquals(UID, StorageLayout.DEFAULT.listedAsRawPrefixes().rawInstalledIdentifier("plugin" + UID));
        assertNull(StorageLayout.DEFAULT.listedAsRawPrefixes().rawInstalledIdentifier("plugin/" + UID));
    }

    @Test
    void explainsWhatIsWrongWithAKey() {
        assertTrue(InstalledObjectDetector.describeInvalidKey("").contains("folder placeholder"));
        String placeholder = InstalledObjectDetector.describeInvalidKey("langgenius/");
        assertTrue(placeholder.contains("a folder placeholder (it ends in '/'): the daemon's s3 and huawei_obs storages"
                + " (dify-cloud-kit v0.1.3) list placeholders as keys, and the daemon then logs 'plugin_unique_identifier is not"
                + " valid' for it every 30 s; its aliyun_oss and tencent_cos listings skip it"), placeholder);
        assertTrue(InstalledObjectDetector.describeInvalidKey("/a/b:1.0.0@" + "a".repeat(64)).contains("leading slash"));
        assertTrue(InstalledObjectDetector.describeInvalidKey("a\\b:1.0.0@" + "a".repeat(64)).contains("backslash"));
        assertTrue(InstalledObjectDetector.describeInvalidKey("a/b\uFF1A1.0.0@" + "a".repeat(64)).contains("look-alike colon"));
    }

    @Test
    void matchesCopiesToLocalPluginsAndReportsBothDirections() {
        List<StoredObject> present = new ArrayList<>();
        FindingSink sink = detect(
                List.of(new StoredObject("plugin/" + UID, 10, OLD), new StoredObject("plugin/" + UID2, 20, OLD)),
                List.of(plugin("langgenius/bedrock:0.0.9@4484b4097187376df28408110fa951c64a18588689746ed4eefc4ee4dc3ec9f2", "local", OLD),
                        plugin(UID, "local", OLD)),
                present);
        assertEquals(List.of("plugin/" + UID), present.stream().map(StoredObject::key).toList());
        assertEquals(1, sink.count(FindingKind.INSTALLED_OBJECT_ORPHANED));
        assertEquals(1, sink.count(FindingKind.INSTALLED_OBJECT_MISSING));
        assertEquals(20L, sink.bytesByKind().get(FindingKind.INSTALLED_OBJECT_ORPHANED));
    }

    @Test
    void carriesTheVersionOfTheObjectOrTheRowItSaw() {
        Instant rowChanged = OLD.plusSeconds(42);
        Instant objectModified = OLD.plusSeconds(7);
        FindingSink sink = detect(List.of(new StoredObject("plugin/" + UID2, 20, objectModified, "\"etag-2\"")),
                List.of(plugin(UID, "local", rowChanged)), new ArrayList<>());

        Finding orphaned = only(sink, FindingKind.INSTALLED_OBJECT_ORPHANED);
        assertEquals(new ObservedVersion(null, 20L, objectModified, "\"etag-2\""), orphaned.observed());
        Finding missing = only(sink, FindingKind.INSTALLED_OBJECT_MISSING);
        assertEquals(new ObservedVersion(rowChanged, null, null, null), missing.observed());
    }

    private static Finding only(FindingSink sink, FindingKind kind) {
        List<Finding> found = sink.findings().stream().filter(f -> f.kind() == kind).toList();
        assertEquals(1, found.size(), found.toString());
        return found.get(0);
    }

    @Test
    void neverExpectsCopiesOfRemoteOrServerlessPlugins() {
        FindingSink sink = detect(List.of(), List.of(plugin(UID, "remote", OLD), plugin(UID2, "serverless", OLD)),
                new ArrayList<>());
        assertEquals(0, sink.total());
    }

    @Test
    void leavesYoungRowsAndObjectsAloneButCountsThem() {
        FindingSink sink = detect(List.of(new StoredObject("plugin/" + UID2, 1, NEW), new StoredObject("plugin/x", 1, NEW)),
                List.of(plugin(UID, "local", NEW)), new ArrayList<>());
        assertEquals(0, sink.total());
        assertEquals(1, sink.rowsInGrace());
        assertEquals(2, sink.objectsInGrace());
    }
}
