package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.guard.InputGuards;
import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.remediate.planner.PlanGuards;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The trustworthy-input guards and what a tripped guard or cap does to a plan, as pure decisions. */
class InputGuardsTest {

    private static final Map<String, List<String>> REQUIRED = Map.of("plugins", List.of("id", "plugin_unique_identifier", "refers"));
    private static final Map<String, List<String>> OPTIONAL = Map.of("endpoints", List.of("id", "hook_id"));
    private static final Set<String> CACHES = Set.of("plugin_readme_records");

    private static InputGuards.Listing listing(Long listed, Long recentMax, long expected) {
        return new InputGuards.Listing("plugin_packages", listed, recentMax == null ? OptionalLong.empty() : OptionalLong.of(recentMax),
                expected, "plugin_declarations rows");
    }

    private static List<GuardName> guards(List<GuardTrip> trips) {
        return trips.stream().map(GuardTrip::guard).toList();
    }

    private static InputGuards.Schema schema(Map<String, Set<String>> columns) {
        return new InputGuards.Schema(columns, REQUIRED, OPTIONAL, CACHES, "plugin_unique_identifier");
    }

    private static Map<String, Set<String>> knownSchema() {
        Map<String, Set<String>> c = new HashMap<>();
        c.put("plugins", Set.of("id", "plugin_unique_identifier", "refers", "created_at"));
        c.put("endpoints", Set.of("id", "hook_id"));
        c.put("plugin_readme_records", Set.of("id", "plugin_unique_identifier", "content"));
        c.put("audit_notes", Set.of("id", "note")); // unknown, but names no package
        return c;
    }

    @Test
    void aListingIsTrustedWhenItHoldsAtLeastHalfOfItsRecentMaximum() {
        assertEquals(List.of(), InputGuards.check(List.of(listing(5L, 10L, 3)), schema(knownSchema())));
        assertEquals(List.of(), InputGuards.check(List.of(listing(12L, 10L, 3)), schema(knownSchema())));
        assertEquals(List.of(), InputGuards.check(List.of(listing(1L, null, 3)), schema(knownSchema())), "no history, not empty");
    }

    @Test
    void anEmptyListingTripsWhenTheDatabaseSaysObjectsExist() {
        List<GuardTrip> trips = InputGuards.check(List.of(listing(0L, null, 3)), schema(knownSchema()));
        assertEquals(List.of(GuardName.EMPTY_LISTING), guards(trips));
        assertEquals("plugin_packages/ listed no objects while 3 plugin_declarations rows say objects exist there", trips.get(0).detail());
        assertEquals(List.of(GuardName.EMPTY_LISTING), guards(InputGuards.check(List.of(listing(null, 9L, 1)), schema(knownSchema()))),
                "a prefix that was not listed counts as empty");
    }

    @Test
    void aListingBelowHalfOfItsRecentMaximumTrips() {
        List<GuardTrip> trips = InputGuards.check(List.of(listing(4L, 9L, 3)), schema(knownSchema()));
        assertEquals(List.of(GuardName.SHRUNK_LISTING), guards(trips));
        assertTrue(trips.get(0).detail().contains("listed 4 objects, below half of its recent maximum 9"), trips.get(0).detail());
    }

    @Test
    void anEmptyOrShrunkListingIsTheTruthWhenTheDatabaseExpectsNothing() {
        assertEquals(List.of(), InputGuards.check(List.of(listing(0L, 100L, 0), listing(1L, 100L, 0)), schema(knownSchema())));
    }

    @Test
    void aMissingTableOrColumnWeRelyOnTrips() {
        Map<String, Set<String>> noPlugins = knownSchema();
        noPlugins.remove("plugins");
        List<GuardTrip> trips = InputGuards.check(List.of(), schema(noPlugins));
        assertEquals(List.of(GuardName.UNKNOWN_SCHEMA), guards(trips));
        assertEquals("table plugins is missing", trips.get(0).detail());

        Map<String, Set<String>> noHook = knownSchema();
        noHook.put("endpoints", Set.of("id"));
        assertEquals("table endpoints lacks column(s) hook_id", InputGuards.check(List.of(), schema(noHook)).get(0).detail());

        Map<String, Set<String>> olderDaemon = knownSchema();
        olderDaemon.remove("endpoints");
        assertEquals(List.of(), InputGuards.check(List.of(), schema(olderDaemon)), "a missing optional table is an older daemon");
    }

    @Test
    void anUnknownTableWithAnIdentifierColumnTripsButAKnownCacheDoesNot() {
        Map<String, Set<String>> newer = knownSchema();
        newer.put("plugin_mirrors", Set.of("id", "plugin_unique_identifier"));
        List<GuardTrip> trips = InputGuards.check(List.of(), schema(newer));
        assertEquals(List.of(GuardName.UNKNOWN_SCHEMA), guards(trips));
        assertTrue(trips.get(0).detail().startsWith("unknown table plugin_mirrors has a plugin_unique_identifier column"),
                trips.get(0).detail());
    }

    @Test
    void everyTrippedGuardIsListedOnce() {
        Map<String, Set<String>> newer = knownSchema();
        newer.put("plugin_mirrors", Set.of("plugin_unique_identifier"));
        newer.remove("plugins");
        List<GuardTrip> trips = InputGuards.check(List.of(listing(0L, 5L, 2), listing(2L, 5L, 2)), schema(newer));
        assertEquals(List.of(GuardName.EMPTY_LISTING, GuardName.SHRUNK_LISTING, GuardName.UNKNOWN_SCHEMA), guards(trips));
        assertTrue(trips.get(2).detail().contains("table plugins is missing; unknown table plugin_mirrors"), trips.get(2).detail());
    }

    @Test
    void aFailedScanSaysWhere() {
        GuardTrip t = InputGuards.failedScan("storage", "connection refused");
        assertEquals(new GuardTrip(GuardName.FAILED_SCAN, "the scan failed in phase storage: connection refused"), t);
    }

    // --- what guards do to a plan ---

    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private static RemediationPlan plan(List<PlannedAction> actions, List<WithheldItem> withheld) {
        return new RemediationPlan("p", NOW, NOW.plusSeconds(3600), "db", "r", actions, withheld, withheld.size());
    }

    private static PlannedAction action(int n) {
        return new PlannedAction("p/" + n, FindingKind.ENDPOINT_ORPHANED, RemedyAction.QUARANTINE_ROW, "endpoints", "row" + n, null,
                "acme/gone", "t", "orphaned");
    }

    private static RemediationPolicy policy(int maxActions, double maxShare) {
        return new RemediationPolicy(false, Set.of(FindingKind.ENDPOINT_ORPHANED), 1, Duration.ZERO, Duration.ZERO, maxActions, maxShare,
                Duration.ofHours(1));
    }

    @Test
    void aTrippedGuardWithholdsEveryActionAndFindingWithReasonGuard() {
        RemediationPlan p = plan(List.of(action(1), action(2)),
                List.of(new WithheldItem(FindingKind.PACKAGE_MISSING, WithheldReason.REPORT_ONLY, null, null, "plugin_packages/x")));
        GuardTrip trip = new GuardTrip(GuardName.EMPTY_LISTING, "empty");
        RemediationPlan guarded = PlanGuards.withheldByGuards(p, List.of(trip));
        assertEquals(List.of(), guarded.actions());
        assertEquals(List.of(trip), guarded.guards());
        assertEquals(3, guarded.withheldTotal());
        assertEquals(List.of(new WithheldItem(FindingKind.ENDPOINT_ORPHANED, WithheldReason.GUARD, "endpoints", "row1", null),
                new WithheldItem(FindingKind.ENDPOINT_ORPHANED, WithheldReason.GUARD, "endpoints", "row2", null),
                new WithheldItem(FindingKind.PACKAGE_MISSING, WithheldReason.GUARD, null, null, "plugin_packages/x")), guarded.withheld());
        assertEquals(p, PlanGuards.withheldByGuards(p, List.of()), "no trip, same plan");
    }

    @Test
    void aCapWithMoreEligibleFindingsIsATripAndSaysWhichCap() {
        WithheldItem capped = new WithheldItem(FindingKind.ENDPOINT_ORPHANED, WithheldReason.CAP, "endpoints", "row3", null);
        GuardTrip perRun = PlanGuards.capTrip(plan(List.of(action(1), action(2)), List.of(capped)), policy(2, 1)).orElseThrow();
        assertEquals(GuardName.CAP, perRun.guard());
        assertEquals("max-actions-per-run 2 reached with more eligible findings of endpoint_orphaned (2 action(s) would have been"
                + " planned)", perRun.detail());
        GuardTrip share = PlanGuards.capTrip(plan(List.of(action(1)), List.of(capped)), policy(50, 0.1)).orElseThrow();
        assertTrue(share.detail().startsWith("max-share 0.1 of the kind's population reached"), share.detail());
        assertTrue(PlanGuards.capTrip(plan(List.of(action(1), action(2)), List.of()), policy(2, 1)).isEmpty(),
                "reaching the cap exactly, with nothing left over, is not a trip");
    }
}
