package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PackageDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));
    private static final String A = "langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d74330fd2ec06071bb30b8a24b1fab107a";
    private static final String B = "langgenius/tongyi:1.0.0@a2dd9bb656a2722292e8936f3287d53ba176cfbbe9b8bfafc596d4a2ddd99eb2";
    private static final String C = "langgenius/bedrock:0.0.9@4484b4097187376df28408110fa951c64a18588689746ed4eefc4ee4dc3ec9f2";

    @Test
    void reportsBothDirectionsWithTheVersionOfWhatItSaw() {
        Instant declarationChanged = OLD.plusSeconds(3);
        Instant packageModified = OLD.plusSeconds(9);
        FindingSink sink = new FindingSink(10);
        List<StoredObject> present = new ArrayList<>();
        // Sorted by identifier in key order: bedrock (C) < openai (A) < tongyi (B).
        new PackageDetector("plugin_packages/", GRACE, sink).detect(
                List.of(new StoredObject("plugin_packages/" + A, 50, OLD, "\"a\""),
                        new StoredObject("plugin_packages/" + B, 70, packageModified, "\"b\"")).iterator(),
                List.of(new DeclarationRow("d-c", C, "langgenius/bedrock", declarationChanged, List.of()),
                        new DeclarationRow("d-a", A, "langgenius/openai", OLD, List.of())),
                Set.of(), Set.of(A, C), present::add);

        assertEquals(List.of("plugin_packages/" + A), present.stream().map(StoredObject::key).toList());
        assertEquals(2, sink.total(), sink.findings().toString());
        Finding orphaned = sink.findings().stream().filter(f -> f.kind() == FindingKind.PACKAGE_ORPHANED).findFirst()
                .orElseThrow();
        assertEquals("plugin_packages/" + B, orphaned.key());
        assertEquals(70L, orphaned.bytes());
        assertEquals(ObservedVersion.object(70, packageModified, "\"b\""), orphaned.observed());
        Finding missing = sink.findings().stream().filter(f -> f.kind() == FindingKind.PACKAGE_MISSING).findFirst()
                .orElseThrow();
        assertEquals("d-c", missing.id());
        assertEquals(ObservedVersion.row(declarationChanged), missing.observed());
    }

    private static final String DECLARED = "langgenius/email:0.0.7@" + "6c".repeat(32);
    private static final String UNDECLARED = "acme/uploaded:0.1.0@" + "ab".repeat(32);

    private static StoredObject object(String key) {
        return new StoredObject(key, 10, OLD, null);
    }

    @Test
    void countsKeysOfUnknownShapeAndNeverReportsThemAsOrphans() {
        FindingSink sink = new FindingSink(10);
        List<StoredObject> present = new ArrayList<>();
        // In key order. Only the undeclared package of the daemon's shape is an orphan; the others are not
        // identifiers (a lost colon, a nested or temporary file, a stray readme) and may be something we do
        // not know about: counted, left alone.
        List<StoredObject> listing = List.of(
                object("plugin_packages/README.md"),
                object("plugin_packages/" + UNDECLARED),
                object("plugin_packages/" + DECLARED),
                object("plugin_packages/langgenius/email_0.0.7@" + "6c".repeat(32)),
                object("plugin_packages/langgenius/email:0.0.7@" + "6c".repeat(32) + "/extra"),
                object("plugin_packages/tmp/upload-123.part"));
        new PackageDetector("plugin_packages/", GRACE, sink).detect(listing.iterator(),
                List.of(new DeclarationRow("d1", DECLARED, "langgenius/email", OLD, List.of())), Set.of(), Set.of(DECLARED),
                present::add);

        assertEquals(4, sink.unrecognizedKeys());
        assertEquals(1, sink.total());
        Finding orphan = sink.findings().get(0);
        assertEquals(FindingKind.PACKAGE_ORPHANED, orphan.kind());
        assertEquals("plugin_packages/" + UNDECLARED, orphan.key());
        assertEquals(List.of("plugin_packages/" + DECLARED), present.stream().map(StoredObject::key).toList());
    }

    @Test
    void reportsDeclarationsNoPluginUsesWithTheirPackagesLastModifiedAndSkipsYoungOnes() {
        Instant reuploaded = OLD.plusSeconds(60);
        Instant young = Instant.parse("2026-08-01T00:00:00Z");
        FindingSink sink = new FindingSink(10);
        // Key order: bedrock (C) < openai (A) < tongyi (B). A is uploaded, not installed; B is installed; C was
        // uploaded too, but its package is gone; a fourth declaration is younger than the grace period.
        String d = "langgenius/deepseek:0.0.1@" + "de".repeat(32);
        new PackageDetector("plugin_packages/", GRACE, sink).detect(
                List.of(new StoredObject("plugin_packages/" + A, 50, reuploaded, "\"a\""),
                        new StoredObject("plugin_packages/" + B, 70, OLD, "\"b\"")).iterator(),
                List.of(new DeclarationRow("d-c", C, "langgenius/bedrock", OLD, List.of()),
                        new DeclarationRow("d-d", d, "langgenius/deepseek", young, List.of()),
                        new DeclarationRow("d-a", A, "langgenius/openai", OLD, List.of()),
                        new DeclarationRow("d-b", B, "langgenius/tongyi", OLD, List.of())),
                Set.of(), Set.of(B), o -> {});

        List<Finding> unreferenced = sink.findings().stream().filter(f -> f.kind() == FindingKind.DECLARATION_UNREFERENCED)
                .toList();
        assertEquals(List.of("d-c", "d-a"), unreferenced.stream().map(Finding::id).toList());
        // The age a remedy waits for is the package's: its last upload, not the declaration's first.
        assertEquals(new ObservedVersion(OLD, null, reuploaded, "\"a\""), unreferenced.get(1).observed());
        assertEquals(ObservedVersion.row(OLD), unreferenced.get(0).observed(), "no package: the declaration's own age");
        assertEquals(1, sink.count(FindingKind.PACKAGE_MISSING), "C's package is missing too");
    }
}
