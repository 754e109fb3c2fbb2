package dify.reconciler.remediate.planner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.state.FindingHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class RemediationPlannerTest {

    private static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");
    private static final Set<FindingKind> ALL_ROW_KINDS = Remedies.remediableKinds();
    private static final Map<FindingKind, Long> BIG = Map.ofEntries(Map.entry(FindingKind.REFERS_TOO_LOW, 1000L),
            Map.entry(FindingKind.REFERS_DRIFT, 1000L), Map.entry(FindingKind.CATEGORY_ROW_ORPHANED, 1000L),
            Map.entry(FindingKind.ENDPOINT_ORPHANED, 1000L), Map.entry(FindingKind.INVALID_IDENTIFIER_ROW, 1000L),
            Map.entry(FindingKind.INSTALLATION_DECLARATION_MISSING, 1000L), Map.entry(FindingKind.PLUGIN_UNREFERENCED, 1000L),
            Map.entry(FindingKind.DECLARATION_UNREFERENCED, 1000L), Map.entry(FindingKind.TENANT_STORAGE_DRIFT, 1000L),
            Map.entry(FindingKind.INSTALLATION_TENANT_MISSING, 1000L), Map.entry(FindingKind.LEGACY_GLOBAL_INSTALLATION, 1000L));

    private static RemediationPolicy policy(Set<FindingKind> allowed, int maxActions, double maxShare) {
        return new RemediationPolicy(false, allowed, 3, Duration.ofHours(1), Duration.ofDays(7), maxActions, maxShare,
                Duration.ofHours(1));
    }

    private static Finding finding(FindingKind kind, String id) {
        if (kind == FindingKind.INSTALLATION_TENANT_MISSING) { // one finding per workspace, named by its id
            return Finding.row(kind, "tenants", id, null, null, id, ObservedVersion.row(null), "detail " + id);
        }
        if (kind == FindingKind.LEGACY_GLOBAL_INSTALLATION) {
            return Finding.row(kind, "plugin_installations", id, "a/b:0.0.1@" + "0".repeat(64), "a/b", GlobalTenant.ID,
                    ObservedVersion.row(null), "detail " + id);
        }
        String table = switch (kind) {
            case REFERS_TOO_LOW, REFERS_DRIFT -> "plugins";
            case ENDPOINT_ORPHANED -> "endpoints";
            case CATEGORY_ROW_ORPHANED -> "tool_installations";
            case INSTALLATION_DECLARATION_MISSING -> "plugin_installations";
            case PLUGIN_UNREFERENCED -> "plugins";
            default -> "plugin_declarations";
        };
        return Finding.row(kind, table, id, "a/b:0.0.1@" + "0".repeat(64), "a/b", "t", ObservedVersion.row(null), "detail " + id);
    }

    private static FindingHistory seen(int scans, Duration ago) {
        return new FindingHistory(NOW.minus(ago), scans);
    }

    static Stream<Arguments> guards() {
        return Stream.of(
                // kind, allowed, history, expected reason (null = an action)
                Arguments.of(FindingKind.REFERS_TOO_LOW, ALL_ROW_KINDS, seen(3, Duration.ofHours(2)), null),
                Arguments.of(FindingKind.REFERS_DRIFT, ALL_ROW_KINDS, seen(5, Duration.ofHours(1)), null),
                Arguments.of(FindingKind.CATEGORY_ROW_ORPHANED, ALL_ROW_KINDS, seen(3, Duration.ofHours(1)), null),
                Arguments.of(FindingKind.INVALID_IDENTIFIER_ROW, ALL_ROW_KINDS, seen(3, Duration.ofDays(1)), null),
                Arguments.of(FindingKind.ENDPOINT_ORPHANED, ALL_ROW_KINDS, seen(3, Duration.ofDays(7)), null),
                Arguments.of(FindingKind.ENDPOINT_ORPHANED, ALL_ROW_KINDS, seen(3, Duration.ofDays(6)), WithheldReason.TOO_YOUNG),
                Arguments.of(FindingKind.REFERS_TOO_LOW, ALL_ROW_KINDS, seen(3, Duration.ofMinutes(59)), WithheldReason.TOO_YOUNG),
                Arguments.of(FindingKind.REFERS_TOO_LOW, ALL_ROW_KINDS, seen(2, Duration.ofDays(2)), WithheldReason.UNCONFIRMED),
                Arguments.of(FindingKind.REFERS_TOO_LOW, ALL_ROW_KINDS, null, WithheldReason.UNCONFIRMED),
                Arguments.of(FindingKind.REFERS_TOO_LOW, Set.of(FindingKind.REFERS_DRIFT), seen(9, Duration.ofDays(2)),
                        WithheldReason.NOT_ALLOWED),
                Arguments.of(FindingKind.REFERS_TOO_LOW, Set.of(), seen(9, Duration.ofDays(2)), WithheldReason.NOT_ALLOWED),
                Arguments.of(FindingKind.DUPLICATE_ROWS, ALL_ROW_KINDS, seen(9, Duration.ofDays(2)), WithheldReason.REPORT_ONLY),
                // The global tenant's installation is info: it waits min-age-info, only when listed.
                Arguments.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, Set.of(FindingKind.LEGACY_GLOBAL_INSTALLATION),
                        seen(3, Duration.ofDays(7)), null),
                Arguments.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, ALL_ROW_KINDS, seen(9, Duration.ofDays(6)),
                        WithheldReason.TOO_YOUNG),
                Arguments.of(FindingKind.LEGACY_GLOBAL_INSTALLATION, Set.of(FindingKind.INSTALLATION_TENANT_MISSING),
                        seen(9, Duration.ofDays(30)), WithheldReason.NOT_ALLOWED),
                // A deleted workspace: missing from Dify's tenants for min-age, in each of the confirmation window's scans.
                Arguments.of(FindingKind.INSTALLATION_TENANT_MISSING, Set.of(FindingKind.INSTALLATION_TENANT_MISSING),
                        seen(3, Duration.ofHours(1)), null),
                Arguments.of(FindingKind.INSTALLATION_TENANT_MISSING, ALL_ROW_KINDS, seen(9, Duration.ofMinutes(59)),
                        WithheldReason.TOO_YOUNG),
                Arguments.of(FindingKind.INSTALLATION_TENANT_MISSING, ALL_ROW_KINDS, seen(2, Duration.ofDays(30)),
                        WithheldReason.UNCONFIRMED),
                Arguments.of(FindingKind.INSTALLATION_TENANT_MISSING, Set.of(FindingKind.LEGACY_GLOBAL_INSTALLATION),
                        seen(9, Duration.ofDays(30)), WithheldReason.NOT_ALLOWED),
                Arguments.of(FindingKind.INSTALLATION_PLUGIN_MISSING, ALL_ROW_KINDS, seen(9, Duration.ofDays(2)),
                        WithheldReason.REPORT_ONLY),
                Arguments.of(FindingKind.INSTALLATION_DECLARATION_MISSING, ALL_ROW_KINDS, seen(3, Duration.ofHours(1)), null),
                Arguments.of(FindingKind.INSTALLATION_DECLARATION_MISSING, Set.of(FindingKind.PLUGIN_UNREFERENCED),
                        seen(9, Duration.ofDays(2)), WithheldReason.NOT_ALLOWED),
                Arguments.of(FindingKind.PLUGIN_UNREFERENCED, ALL_ROW_KINDS, seen(3, Duration.ofHours(1)), null),
                // Info kinds wait min-age-info (7 days here).
                Arguments.of(FindingKind.DECLARATION_UNREFERENCED, ALL_ROW_KINDS, seen(3, Duration.ofDays(7)), null),
                Arguments.of(FindingKind.DECLARATION_UNREFERENCED, ALL_ROW_KINDS, seen(3, Duration.ofDays(6)),
                        WithheldReason.TOO_YOUNG));
    }

    @ParameterizedTest
    @MethodSource("guards")
    void actsOnlyOnAllowedConfirmedOldEnoughRowKinds(FindingKind kind, Set<FindingKind> allowed, FindingHistory history,
            WithheldReason expected) {
        RemediationPlan plan = new RemediationPlanner(policy(allowed, 50, 1.0)).plan("p", "r", NOW, "db",
                List.of(new RemediationCandidate(finding(kind, "row-1"), history)).iterator(), BIG);
        if (expected == null) {
            assertEquals(1, plan.actions().size(), plan.toString());
            PlannedAction a = plan.actions().get(0);
            assertEquals(kind, a.kind());
            assertEquals("row-1", a.rowId());
            assertEquals(kind == FindingKind.REFERS_TOO_LOW || kind == FindingKind.REFERS_DRIFT
                    ? RemedyAction.UPDATE_ROW
                    : RemedyAction.QUARANTINE_ROW, a.action());
            assertTrue(plan.withheld().isEmpty());
        } else {
            assertTrue(plan.actions().isEmpty(), plan.toString());
            assertEquals(List.of(expected), plan.withheld().stream().map(WithheldItem::reason).toList());
            assertEquals(1, plan.withheldTotal());
        }
    }

    @Test
    void capsActionsPerRunAndStopsReadingOnceTheCapTripped() {
        List<RemediationCandidate> all = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            all.add(new RemediationCandidate(finding(FindingKind.ENDPOINT_ORPHANED, "e" + i), seen(3, Duration.ofDays(8))));
        }
        Iterator<RemediationCandidate> source = all.iterator();
        int[] read = {0};
        Iterator<RemediationCandidate> counting = new Iterator<>() {
            public boolean hasNext() {
                return source.hasNext();
            }

            public RemediationCandidate next() {
                read[0]++;
                return source.next();
            }
        };
        RemediationPlan plan = new RemediationPlanner(policy(ALL_ROW_KINDS, 4, 1.0)).plan("p", "r", NOW, "db", counting, BIG);
        assertEquals(List.of("e0", "e1", "e2", "e3"), plan.actions().stream().map(PlannedAction::rowId).toList());
        assertEquals(List.of("p/1", "p/2", "p/3", "p/4"), plan.actions().stream().map(PlannedAction::id).toList());
        assertEquals(List.of(WithheldReason.CAP), plan.withheld().stream().map(WithheldItem::reason).toList());
        assertEquals(5, read[0], "reading stops at the first finding beyond the cap");
    }

    @Test
    void capsEachKindAtItsShareOfThePopulationRoundingDown() {
        List<RemediationCandidate> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(new RemediationCandidate(finding(FindingKind.REFERS_DRIFT, "p" + i), seen(3, Duration.ofDays(1))));
            all.add(new RemediationCandidate(finding(FindingKind.CATEGORY_ROW_ORPHANED, "c" + i), seen(3, Duration.ofDays(1))));
        }
        // 0.1 of 29 plugins rows = 2.9 -> 2 actions; 0.1 of 10 category rows = 1 action.
        RemediationPlan plan = new RemediationPlanner(policy(ALL_ROW_KINDS, 50, 0.1)).plan("p", "r", NOW, "db",
                all.iterator(), Map.of(FindingKind.REFERS_DRIFT, 29L, FindingKind.CATEGORY_ROW_ORPHANED, 10L));
        assertEquals(List.of("p0", "c0", "p1"), plan.actions().stream().map(PlannedAction::rowId).toList());
        assertEquals(7, plan.withheldTotal());
        assertTrue(plan.withheld().stream().allMatch(w -> w.reason() == WithheldReason.CAP));
    }

    @Test
    void aKindWithoutKnownPopulationGetsNoAction() {
        RemediationPlan plan = new RemediationPlanner(policy(ALL_ROW_KINDS, 50, 1.0)).plan("p", "r", NOW, "db",
                List.of(new RemediationCandidate(finding(FindingKind.REFERS_DRIFT, "x"), seen(3, Duration.ofDays(1)))).iterator(),
                Map.of());
        assertTrue(plan.actions().isEmpty());
        assertEquals(WithheldReason.CAP, plan.withheld().get(0).reason());
    }

    @Test
    void planIsTheSameArmedOrNotAndExpiresAfterItsTtl() {
        List<RemediationCandidate> one = List.of(new RemediationCandidate(finding(FindingKind.REFERS_TOO_LOW, "x"),
                seen(3, Duration.ofDays(1))));
        RemediationPolicy dry = policy(ALL_ROW_KINDS, 50, 1.0);
        RemediationPolicy armed = new RemediationPolicy(true, ALL_ROW_KINDS, 3, Duration.ofHours(1), Duration.ofDays(7), 50,
                1.0, Duration.ofHours(1));
        RemediationPlan a = new RemediationPlanner(dry).plan("p", "r", NOW, "db", one.iterator(), BIG);
        RemediationPlan b = new RemediationPlanner(armed).plan("p", "r", NOW, "db", one.iterator(), BIG);
        assertEquals(a.actions(), b.actions());
        assertEquals(a.withheld(), b.withheld());
        assertEquals(a, new RemediationPlan(b.planId(), b.createdAt(), b.expiresAt(), b.database(), b.runId(), b.actions(),
                b.withheld(), b.withheldTotal(), b.guards()), "nothing in the plan depends on the mode");
        assertEquals(NOW.plus(Duration.ofHours(1)), a.expiresAt());
        assertFalse(a.expired(NOW.plus(Duration.ofMinutes(59))));
        assertTrue(a.expired(NOW.plus(Duration.ofHours(1))));
    }

    @Test
    void onlyTheLiteralFalseArms() {
        assertTrue(RemediationPolicy.armedBy("false"));
        for (String s : new String[] {null, "", "true", "False", "FALSE", " false", "no", "0"}) {
            assertFalse(RemediationPolicy.armedBy(s), String.valueOf(s));
        }
    }

    @Test
    void refusesNonsenseSettings() {
        assertThrows(IllegalArgumentException.class, () -> new RemediationPolicy(false, Set.of(), 0, Duration.ZERO,
                Duration.ZERO, 1, 0.1, Duration.ofHours(1)));
        assertThrows(IllegalArgumentException.class, () -> new RemediationPolicy(false, Set.of(), 1, Duration.ZERO,
                Duration.ZERO, 1, 1.5, Duration.ofHours(1)));
        assertNull(new RemediationPlanner(policy(ALL_ROW_KINDS, 1, 1)).reasonToWithhold(FindingKind.REFERS_DRIFT,
                seen(3, Duration.ofHours(1)), NOW), "exactly min-age old is old enough");
    }

    @Test
    void waitsForADeclarationsPackageToBeOlderThanMinAgeInfo() {
        RemediationPlanner planner = new RemediationPlanner(policy(ALL_ROW_KINDS, 50, 1.0));
        // Seen for a month, but its package was uploaded again yesterday: an install may follow.
        Finding reuploaded = Finding.row(FindingKind.DECLARATION_UNREFERENCED, "plugin_declarations", "d1", "a/b:0.0.1@"
                + "0".repeat(64), "a/b", null,
                new ObservedVersion(NOW.minus(Duration.ofDays(90)), null,
                        NOW.minus(Duration.ofDays(1)), "\"e\""),
                "unreferenced");
        RemediationPlan plan = planner.plan("p", "r", NOW, "db",
                List.of(new RemediationCandidate(reuploaded, seen(30, Duration.ofDays(30)))).iterator(), BIG);
        assertEquals(List.of(WithheldReason.TOO_YOUNG), plan.withheld().stream().map(WithheldItem::reason).toList());

        Finding settled = Finding.row(FindingKind.DECLARATION_UNREFERENCED, "plugin_declarations", "d1", "a/b:0.0.1@"
                + "0".repeat(64), "a/b", null,
                new ObservedVersion(NOW.minus(Duration.ofDays(90)), null,
                        NOW.minus(Duration.ofDays(8)), "\"e\""),
                "unreferenced");
        plan = planner.plan("p", "r", NOW, "db", List.of(new RemediationCandidate(settled, seen(30, Duration.ofDays(30))))
                .iterator(), BIG);
        assertEquals(1, plan.actions().size(), plan.toString());
    }

    @Test
    void aStorageSizeRepairCarriesTheSizeTheScanReadAndTheBytesItMeasured() {
        RemediationPlanner planner = new RemediationPlanner(policy(ALL_ROW_KINDS, 50, 1.0));
        Finding drift = new Finding(FindingKind.TENANT_STORAGE_DRIFT, "tenant_storages", "s1", "persistence/t/a/b/", null, "a/b",
                "t", 319L, "size is 5 bytes but 319 bytes are stored", new ObservedVersion(NOW.minus(Duration.ofDays(9)), 5L, null,
                        null));
        RemediationPlan plan = planner.plan("p", "r", NOW, "db",
                List.of(new RemediationCandidate(drift, seen(3, Duration.ofDays(8)))).iterator(), BIG);
        PlannedAction a = plan.actions().get(0);
        assertEquals(RemedyAction.UPDATE_ROW, a.action());
        assertEquals(5L, a.observedValue());
        assertEquals(319L, a.targetValue());

        // Recorded by a version that did not keep the measurement: nothing safe to set until the next scan has it.
        Finding unmeasured = new Finding(FindingKind.TENANT_STORAGE_DRIFT, "tenant_storages", "s1", "persistence/t/a/b/", null,
                "a/b", "t", null, "size is 5 bytes but 319 bytes are stored", ObservedVersion.row(NOW.minus(Duration.ofDays(9))));
        plan = planner.plan("p", "r", NOW, "db", List.of(new RemediationCandidate(unmeasured, seen(3, Duration.ofDays(8))))
                .iterator(), BIG);
        assertTrue(plan.actions().isEmpty(), plan.toString());
        assertEquals(List.of(WithheldReason.UNCONFIRMED), plan.withheld().stream().map(WithheldItem::reason).toList());
    }
}
