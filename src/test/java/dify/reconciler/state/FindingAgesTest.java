package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FindingAgesTest {

    private static final Instant T1 = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant T2 = Instant.parse("2026-01-01T00:10:00Z");
    private static final Instant T3 = Instant.parse("2026-01-01T00:20:00Z");

    private final FindingAges ages = new FindingAges();

    private static Finding missing(String id) {
        return Finding.row(FindingKind.PACKAGE_MISSING, "plugin_declarations", id, null, null, null, ObservedVersion.row(T1),
                "no package");
    }

    private static Finding orphan(String key) {
        return Finding.object(FindingKind.PACKAGE_ORPHANED, key, null, ObservedVersion.object(10, T1, null), "no declaration");
    }

    @Test
    void keepsTheFirstSeenTimeOfAFindingThatStays() {
        ages.update(T1, List.of(missing("a")), Map.of(FindingKind.PACKAGE_MISSING, 1L));
        ages.update(T2, List.of(missing("a"), missing("b")), Map.of(FindingKind.PACKAGE_MISSING, 2L));
        assertEquals(T1, ages.oldest(FindingKind.PACKAGE_MISSING));
    }

    @Test
    void movesOnWhenTheOldestFindingIsGone() {
        ages.update(T1, List.of(missing("a")), Map.of(FindingKind.PACKAGE_MISSING, 1L));
        ages.update(T2, List.of(missing("a"), missing("b")), Map.of(FindingKind.PACKAGE_MISSING, 2L));
        ages.update(T3, List.of(missing("b")), Map.of(FindingKind.PACKAGE_MISSING, 1L));
        assertEquals(T2, ages.oldest(FindingKind.PACKAGE_MISSING));
        assertEquals(1, ages.tracked());
    }

    @Test
    void forgetsAFindingThatDisappearedAndCameBack() {
        ages.update(T1, List.of(missing("a")), Map.of(FindingKind.PACKAGE_MISSING, 1L));
        ages.update(T2, List.of(), Map.of());
        assertNull(ages.oldest(FindingKind.PACKAGE_MISSING));
        ages.update(T3, List.of(missing("a")), Map.of(FindingKind.PACKAGE_MISSING, 1L));
        assertEquals(T3, ages.oldest(FindingKind.PACKAGE_MISSING));
    }

    @Test
    void tellsFindingsOfOneKindApartByKeyAndKindsApart() {
        ages.update(T1, List.of(orphan("plugin_packages/x")), Map.of(FindingKind.PACKAGE_ORPHANED, 1L));
        ages.update(T2, List.of(orphan("plugin_packages/y"), missing("a")),
                Map.of(FindingKind.PACKAGE_ORPHANED, 1L, FindingKind.PACKAGE_MISSING, 1L));
        assertEquals(T2, ages.oldest(FindingKind.PACKAGE_ORPHANED));
        assertEquals(T2, ages.oldest(FindingKind.PACKAGE_MISSING));
    }

    @Test
    void usesTheKindsPresenceForAKindCutFromACappedList() {
        // 5 orphans exist but the capped list kept none of them in the second scan.
        ages.update(T1, List.of(orphan("plugin_packages/x")), Map.of(FindingKind.PACKAGE_ORPHANED, 5L));
        ages.update(T2, List.of(missing("a")), Map.of(FindingKind.PACKAGE_ORPHANED, 5L, FindingKind.PACKAGE_MISSING, 1L));
        assertEquals(T1, ages.oldest(FindingKind.PACKAGE_ORPHANED));
    }
}
