package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.TenantStorageRow;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantStorageDetectorTest {

    private static final Instant OLD = Instant.parse("2026-01-01T00:00:00Z");
    private static final GraceWindow GRACE = new GraceWindow(Instant.parse("2026-06-01T00:00:00Z"));

    private static StoredObject obj(String rel, long size) {
        return new StoredObject("persistence/" + rel, size, OLD);
    }

    private static TenantStorageRow row(String id, String tenant, String plugin, long size) {
        return new TenantStorageRow(id, tenant, plugin, size, changedAt(id));
    }

    /** Each row its own old change time ("r2" two seconds after OLD), so a finding shows whose version it carries. */
    private static Instant changedAt(String id) {
        return OLD.plusSeconds(Integer.parseInt(id.substring(1)));
    }

    private static FindingSink detect(List<StoredObject> objects, List<TenantStorageRow> rows) {
        FindingSink sink = new FindingSink(100);
        new TenantStorageDetector("persistence/", GRACE, sink).detect(objects.iterator(), rows.iterator());
        return sink;
    }

    @Test
    void sumsBytesUnderEachRowsPrefix() {
        FindingSink sink = detect(
                List.of(obj("t1/a/x/k1", 10), obj("t1/a/x/k2", 5), obj("t1/a/y/k", 7), obj("t2/a/x/k", 1)),
                List.of(row("r1", "t1", "a/x", 15), row("r2", "t1", "a/y", 8), row("r3", "t2", "a/x", 1)));
        assertEquals(1, sink.total());
        Finding f = sink.findings().get(0);
        assertEquals(FindingKind.TENANT_STORAGE_DRIFT, f.kind());
        // The row's version, not an object's, with the size it read (what a repair compares before setting one).
        assertEquals(new ObservedVersion(changedAt("r2"), 8L, null, null), f.observed());
        assertEquals(7L, f.bytes(), "the bytes stored: the value a repair sets");
        assertEquals("r2", f.id());
        assertEquals("size is 8 bytes but 7 bytes are stored under persistence/t1/a/y/", f.detail());
    }

    @Test
    void reportsRowsWithNothingStored() {
        FindingSink sink = detect(List.of(), List.of(row("r1", "t1", "a/x", 3), row("r2", "t1", "a/z", 0)));
        assertEquals(1, sink.total());
        assertEquals("r1", sink.findings().get(0).id());
    }

    @Test
    void doesNotCountSiblingsThatShareAPrefixString() {
        // "a/x-2/" must not be counted under "a/x/".
        FindingSink sink = detect(List.of(obj("t1/a/x-2/k", 4), obj("t1/a/x/k", 6)),
                List.of(row("r2", "t1", "a/x-2", 4), row("r1", "t1", "a/x", 6)));
        assertEquals(0, sink.total(), () -> sink.findings().toString());
    }

    @Test
    void handlesNestedPrefixesOfPluginsWithoutAuthor() {
        // plugin "a" (no author) owns t1/a/…, which includes the keys of plugin "a/b".
        FindingSink sink = detect(List.of(obj("t1/a/b/k", 3), obj("t1/a/k", 2)),
                List.of(row("r1", "t1", "a", 5), row("r2", "t1", "a/b", 3)));
        assertEquals(0, sink.total(), () -> sink.findings().toString());
    }

    @Test
    void leavesRowsWithYoungObjectsAlone() {
        FindingSink sink = new FindingSink(10);
        new TenantStorageDetector("persistence/", GRACE, sink).detect(
                List.of(new StoredObject("persistence/t1/a/x/k", 99, Instant.parse("2026-07-01T00:00:00Z"))).iterator(),
                List.of(row("r1", "t1", "a/x", 1)).iterator());
        assertEquals(0, sink.total());
        assertEquals(1, sink.rowsInGrace());
    }

    @Test
    void rejectsUnsortedRows() {
        assertThrows(SortedMerge.UnsortedInputException.class,
                () -> detect(List.of(), List.of(row("r1", "t2", "a/x", 0), row("r2", "t1", "a/x", 0))));
    }
}
