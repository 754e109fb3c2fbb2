package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
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
    private static final String DECLARED = "langgenius/email:0.0.7@" + "6c".repeat(32);
    private static final String UNDECLARED = "acme/uploaded:0.1.0@" + "ab".repeat(32);

    private static StoredObject object(String key) {
        return new StoredObject(key, 10, OLD);
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
                List.of(new DeclarationRow("d1", DECLARED, "langgenius/email", OLD, List.of())), Set.of(), present::add);

        assertEquals(4, sink.unrecognizedKeys());
        assertEquals(1, sink.total());
        Finding orphan = sink.findings().get(0);
        assertEquals(FindingKind.PACKAGE_ORPHANED, orphan.kind());
        assertEquals("plugin_packages/" + UNDECLARED, orphan.key());
        assertEquals(List.of("plugin_packages/" + DECLARED), present.stream().map(StoredObject::key).toList());
    }
}
