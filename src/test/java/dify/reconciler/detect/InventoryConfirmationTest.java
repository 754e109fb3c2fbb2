package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which candidates drawn from an inventory report are reported, given what a HEAD says now. */
class InventoryConfirmationTest {

    private static final Instant T = Instant.parse("2026-12-06T01:00:00Z");
    private final Map<String, StoredObject> bucket = new HashMap<>();
    private final List<String> heads = new ArrayList<>();
    private final FindingSink sink = new FindingSink(100);

    private InventoryConfirmation confirmation(int max) {
        return new InventoryConfirmation(key -> {
            heads.add(key);
            return Optional.ofNullable(bucket.get(key));
        }, max, T, sink);
    }

    private static Finding missing(String key) {
        return new Finding(FindingKind.PACKAGE_MISSING, "plugin_declarations", "1", key, "u", "p", null, null, "d",
                ObservedVersion.row(T));
    }

    private static Finding orphan(StoredObject o) {
        return Finding.object(FindingKind.INSTALLED_OBJECT_ORPHANED, o.key(), "u", o.version(), "d");
    }

    @Test
    void aMissingObjectIsReportedOnlyWhenItIsStillMissing() {
        bucket.put("plugin_packages/there", new StoredObject("plugin_packages/there", 1, T, "\"a\""));
        InventoryConfirmation c = confirmation(10);
        assertFalse(c.test(missing("plugin_packages/there")));
        assertTrue(c.test(missing("plugin_packages/gone")));
        assertEquals(2, c.heads());
        assertEquals(1, c.dropped());
    }

    @Test
    void anOrphanIsReportedOnlyWhenItIsStillThereAtTheVersionTheReportSaw() {
        StoredObject seen = new StoredObject("plugin/x", 3, T, "\"a\"");
        InventoryConfirmation c = confirmation(10);
        assertFalse(c.test(orphan(seen)), "gone since");
        bucket.put("plugin/x", new StoredObject("plugin/x", 3, T, "\"b\""));
        assertFalse(c.test(orphan(seen)), "rewritten since");
        bucket.put("plugin/x", seen);
        assertTrue(c.test(orphan(seen)));
    }

    @Test
    void otherKindsNeedNoHead() {
        InventoryConfirmation c = confirmation(0);
        assertTrue(c.test(Finding.row(FindingKind.REFERS_TOO_LOW, "plugins", "1", "u", "p", null, ObservedVersion.row(T), "d")));
        assertTrue(c.test(Finding.object(FindingKind.TENANT_STORAGE_DRIFT, "persistence/t/", null,
                ObservedVersion.object(1, T, null), "d")));
        assertEquals(List.of(), heads);
    }

    @Test
    void pastTheBoundACandidateIsNotReportedAndItsCheckDidNotRun() {
        InventoryConfirmation c = confirmation(1);
        assertTrue(c.test(missing("plugin_packages/a")));
        assertFalse(c.test(missing("plugin_packages/b")));
        assertFalse(c.test(missing("plugin_packages/c")));
        assertEquals(List.of("plugin_packages/a"), heads);
        assertTrue(sink.checksNotRun().get(FindingKind.PACKAGE_MISSING).contains("inventory-confirm-max (1)"));
        assertEquals(1, sink.notes().size(), "one note per kind, not per candidate: " + sink.notes());
    }

    @Test
    void theSinkKeepsOnlyAdmittedFindings() {
        sink.admitOnly(confirmation(10));
        bucket.put("plugin_packages/there", new StoredObject("plugin_packages/there", 1, T, "\"a\""));
        sink.add(missing("plugin_packages/there"));
        sink.add(missing("plugin_packages/gone"));
        assertEquals(1, sink.total());
        assertEquals("plugin_packages/gone", sink.findings().get(0).key());
    }
}
