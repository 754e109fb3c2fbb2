package dify.reconciler.detect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.Severity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FindingSinkTest {

    private static Finding finding(FindingKind kind, String id) {
        return Finding.row(kind, "t", id, null, null, null, ObservedVersion.row(null), "detail " + id);
    }

    private static List<String> ids(FindingSink sink) {
        return sink.findings().stream().map(Finding::id).toList();
    }

    @Test
    void keepsEveryFindingUnderTheCapMostSevereFirstAndInTheOrderFoundWithinASeverity() {
        FindingSink sink = new FindingSink(10);
        sink.add(finding(FindingKind.ENDPOINT_ORPHANED, "i1"));
        sink.add(finding(FindingKind.REFERS_DRIFT, "w1"));
        sink.add(finding(FindingKind.PACKAGE_MISSING, "c1"));
        sink.add(finding(FindingKind.ASSET_ORPHANED, "i2"));
        sink.add(finding(FindingKind.REFERS_TOO_LOW, "c2"));

        assertEquals(List.of("c1", "c2", "w1", "i1", "i2"), ids(sink));
        assertFalse(sink.truncated());
        assertEquals(5, sink.total());
    }

    @Test
    void aCriticalFoundAfterThousandsOfInfosFillTheListReplacesAnInfo() {
        FindingSink sink = new FindingSink(100);
        for (int i = 0; i < 5000; i++) {
            sink.add(finding(FindingKind.ENDPOINT_ORPHANED, "e" + i));
        }
        sink.add(finding(FindingKind.REFERS_TOO_LOW, "critical"));

        assertEquals(100, sink.findings().size());
        assertEquals("critical", sink.findings().get(0).id());
        assertEquals(FindingKind.REFERS_TOO_LOW, sink.findings().get(0).kind());
        // The infos kept are the first ones found, less the one the critical replaced.
        assertEquals("e0", sink.findings().get(1).id());
        assertEquals("e98", sink.findings().get(99).id());
        assertTrue(sink.truncated());
        // Counts stay exact whatever the list keeps.
        assertEquals(5001, sink.total());
        assertEquals(5000, sink.count(FindingKind.ENDPOINT_ORPHANED));
        assertEquals(Map.of(Severity.CRITICAL, 1L, Severity.WARNING, 0L, Severity.INFO, 5000L), sink.countsBySeverity());
    }

    @Test
    void keepsCriticalsBeforeWarningsBeforeInfos() {
        FindingSink sink = new FindingSink(3);
        for (int i = 0; i < 4; i++) {
            sink.add(finding(FindingKind.PACKAGE_ORPHANED, "i" + i));
        }
        sink.add(finding(FindingKind.PLUGIN_UNREFERENCED, "w1"));
        sink.add(finding(FindingKind.INSTALLED_OBJECT_MISSING, "c1"));
        sink.add(finding(FindingKind.ASSET_MISSING, "w2"));
        sink.add(finding(FindingKind.ASSET_MISSING, "w3")); // the list holds c1, w1, w2: no lower severity left
        sink.add(finding(FindingKind.DECLARATION_UNREFERENCED, "i9"));
        sink.add(finding(FindingKind.DUPLICATE_ROWS, "c2")); // replaces the last warning kept

        assertEquals(List.of("c1", "c2", "w1"), ids(sink));
        assertEquals(10, sink.total());
        assertEquals(Map.of(Severity.CRITICAL, 2L, Severity.WARNING, 3L, Severity.INFO, 5L), sink.countsBySeverity());
        assertTrue(sink.truncated());
    }

    @Test
    void aFullListOfCriticalsKeepsTheFirstOnesFound() {
        FindingSink sink = new FindingSink(2);
        sink.add(finding(FindingKind.PACKAGE_MISSING, "c1"));
        sink.add(finding(FindingKind.PACKAGE_MISSING, "c2"));
        sink.add(finding(FindingKind.PACKAGE_MISSING, "c3"));
        sink.add(finding(FindingKind.ENDPOINT_ORPHANED, "i1"));

        assertEquals(List.of("c1", "c2"), ids(sink));
        assertEquals(4, sink.total());
        assertEquals(3, sink.count(FindingKind.PACKAGE_MISSING));
    }

    @Test
    void countsBytesOfFindingsTheListNoLongerHolds() {
        FindingSink sink = new FindingSink(1);
        sink.add(Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/a", null, ObservedVersion.object(100, null, null), "a"));
        sink.add(Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/b", null, ObservedVersion.object(50, null, null), "b"));
        sink.add(finding(FindingKind.PACKAGE_MISSING, "c1"));

        assertEquals(List.of("c1"), ids(sink));
        assertEquals(150L, sink.bytesByKind().get(FindingKind.PACKAGE_ORPHANED));
    }
}
