package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AssetDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));
    private static final Instant D2_CHANGED = OLD.plusSeconds(5);
    private static final String ICON = "a".repeat(64) + ".svg";
    private static final String REMOTE_ICON = "b".repeat(64) + ".png";
    private static final String STALE = "c".repeat(64) + ".svg";

    private static StoredObject asset(String id) {
        return new StoredObject("assets/" + id, 100, OLD);
    }

    @Test
    void findsMissingAndOrphanedAssetsAndSparesWhatRemotePluginsName() {
        FindingSink sink = new FindingSink(10);
        List<DeclarationRow> declarations = List.of(
                new DeclarationRow("d1", "x/y:1.0.0@" + "d".repeat(64), "x/y", OLD, List.of(ICON)),
                new DeclarationRow("d2", "x/z:1.0.0@" + "e".repeat(64), "x/z", D2_CHANGED, List.of(STALE.replace('c', 'f'))));
        List<PluginRow> plugins = List.of(
                new PluginRow("p1", "x/r:1.0.0@" + "1".repeat(64), "x/r", 1, "remote", OLD, List.of(REMOTE_ICON)));
        new AssetDetector("assets/", GRACE, sink).detect(
                List.of(asset(ICON), asset(REMOTE_ICON), new StoredObject("assets/" + STALE, 100, OLD, "\"stale\""),
                        new StoredObject("assets/readme.txt", 1, OLD)).iterator(),
                declarations, plugins);
        assertEquals(1, sink.count(FindingKind.ASSET_ORPHANED));
        assertEquals(1, sink.count(FindingKind.ASSET_MISSING));
        Finding missing = sink.findings().stream().filter(f -> f.kind() == FindingKind.ASSET_MISSING).findFirst()
                .orElseThrow();
        assertEquals("d2", missing.id());
        assertEquals(ObservedVersion.row(D2_CHANGED), missing.observed()); // the declaration's version, not the plugin's
        Finding orphaned = sink.findings().stream().filter(f -> f.kind() == FindingKind.ASSET_ORPHANED).findFirst()
                .orElseThrow();
        assertEquals(ObservedVersion.object(100, OLD, "\"stale\""), orphaned.observed());
        assertEquals(1, sink.unrecognizedKeys()); // "readme.txt" is not of the daemon's shape: never an orphan
        assertEquals(100L, sink.bytesByKind().get(FindingKind.ASSET_ORPHANED));
    }
}
