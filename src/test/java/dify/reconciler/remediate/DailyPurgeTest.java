package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.observe.DriftedDaemonAccess;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The service's daily purge ({@link DailyPurge}, what {@code ServiceRemediation.dailyPurge} runs every hour) against
 * real quarantined rows (PostgreSQL) and objects (a storage folder), with a clock the test moves. Two generations
 * are quarantined by real armed applies, a little apart; the purge clock is then set so that only the first is past
 * the retention. A follower, an unarmed service and one that cannot record never purge, whatever the day and
 * however old the entries; the leader purges exactly the first generation, nothing more the same day (though the
 * second is past the retention by then), and the second on the next day. Purged copies are gone from the bucket.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class DailyPurgeTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.INVALID_INSTALLED_KEY, FindingKind.INSTALLED_OBJECT_ORPHANED, FindingKind.PACKAGE_ORPHANED,
                FindingKind.ASSET_ORPHANED, FindingKind.INSTALLED_OBJECT_MISSING, FindingKind.PACKAGE_MISSING,
                FindingKind.CHECKSUM_MISMATCH, FindingKind.INSTALLED_COPY_DIFFERS);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final String QUARANTINE = "reconciler-quarantine/";
    private static final Set<FindingKind> KINDS = Set.of(FindingKind.ENDPOINT_ORPHANED, FindingKind.PACKAGE_ORPHANED);

    /** The purge's clock: it says what time it is; the entries were stamped by the application's real clock. */
    private static final class MovedClock implements InstantSource {
        private volatile Instant now;

        MovedClock(Instant now) {
            this.now = now;
        }

        void set(Instant when) {
            now = when;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    /** The actions the test applied (each quarantined one item). */
    private final List<String> actions = new ArrayList<>();

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Inject
    QuarantinePurge purge;

    @Inject
    ReconcilerConfig config;

    /**
     * Classes that ran before on this shared Quarkus start may leave quarantined items pending (an apply they did not
     * restore): purged here, so that this test counts only what it quarantines itself.
     */
    @BeforeEach
    void purgeWhatEarlierClassesLeftInQuarantine() throws Exception {
        scan(runner); // our schema exists from the first scan on
        purge.purge(Instant.now().plus(config.remediation().retention()).plus(Duration.ofDays(1)), Tokens.acting());
    }

    @Test
    void onlyTheLeaderOfAnArmedServicePurgesOnceADayAndOnlyWhatIsPastTheRetention() throws Exception {
        Map<String, List<String>> tables = TableDump.daemon(db());
        Map<String, String> objects = BucketContents.of(DriftedDaemonAccess.storageRoot());
        scan(runner); // our schema exists from the first scan on
        assertEquals(Set.of(), pending(), "no quarantined item is pending before the test");

        Set<String> older = quarantine("older");
        Thread.sleep(20);
        Instant boundary = Instant.now(); // older were stamped before it, younger after
        Thread.sleep(20);
        Set<String> younger = quarantine("younger");
        Set<String> both = new TreeSet<>(older);
        both.addAll(younger);
        assertEquals(both, pending());
        Map<String, String> quarantined = BucketContents.of(DriftedDaemonAccess.storageRoot());
        Map<String, List<String>> afterApply = TableDump.daemon(db());

        Duration retention = config.remediation().retention();
        Instant day1 = boundary.plus(retention); // its cutoff is the boundary: older past the retention, younger not
        MovedClock clock = new MovedClock(day1.plus(Duration.ofDays(365))); // every entry long past the retention

        // Never without the gate's token (a follower, an unarmed service, one that cannot record, another remediation
        // running: what the gate answers them, AccessGateTest); day after day.
        DailyPurge notLeading = new DailyPurge(clock, purge::purge);
        for (int day = 0; day < 3; day++) {
            clock.set(day1.plus(Duration.ofDays(365 + day)));
            assertEquals(Optional.empty(), notLeading.runIfDue(new Access.Refused(Access.Reason.NOT_LEADER, "follower")),
                    "a follower never purges");
            assertEquals(Optional.empty(), notLeading.runIfDue(new Access.DryRun()), "an unarmed leader never purges");
            assertEquals(Optional.empty(), notLeading.runIfDue(new Access.Refused(Access.Reason.STATE, "state is in memory")),
                    "nothing can be recorded");
            assertEquals(Optional.empty(), notLeading.runIfDue(new Access.Refused(Access.Reason.BUSY, AccessGate.BUSY)),
                    "another remediation is running");
        }
        assertEquals(both, pending(), "every entry still pending");
        assertEquals(quarantined, BucketContents.of(DriftedDaemonAccess.storageRoot()), "every quarantined copy still there");

        // The leader, day 1: exactly the older generation.
        DailyPurge leader = new DailyPurge(clock, purge::purge);
        clock.set(day1);
        assertEquals(Optional.of(List.of(new QuarantinePurge.Result("rows", 1), new QuarantinePurge.Result("objects", 1))),
                leader.runIfDue(Tokens.acting()));
        assertEquals(younger, pending(), "older than the retention purged, younger kept");
        Map<String, String> afterDay1 = new TreeMap<>(quarantined);
        older.stream().filter(e -> e.startsWith("object ")).forEach(e -> afterDay1.remove(QUARANTINE + e.substring(7)));
        assertEquals(afterDay1, BucketContents.of(DriftedDaemonAccess.storageRoot()), "only the older copy deleted");
        assertEquals(afterApply, TableDump.daemon(db()), "a purge touches no daemon table");

        // Later the same day: the younger generation is past the retention now, but the day's purge is done.
        clock.set(day1.plus(Duration.ofHours(23)));
        assertEquals(Optional.empty(), leader.runIfDue(Tokens.acting()), "the day's purge is done");
        assertEquals(younger, pending());
        assertEquals(afterDay1, BucketContents.of(DriftedDaemonAccess.storageRoot()));

        // The next day: what has aged since.
        clock.set(day1.plus(Duration.ofDays(1)));
        assertEquals(Optional.of(List.of(new QuarantinePurge.Result("rows", 1), new QuarantinePurge.Result("objects", 1))),
                leader.runIfDue(Tokens.acting()));
        assertEquals(Set.of(), pending());
        assertEquals(objects, BucketContents.of(DriftedDaemonAccess.storageRoot()),
                "the planted orphans were quarantined and their copies purged: the bucket as before the test");
        assertEquals(tables, TableDump.daemon(db()), "the planted endpoints are gone for good: the tables as before the test");
        for (String action : actions) {
            assertEquals(1L, daemon().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                    + " AND outcome = 'purged'", action), "each purged item audited once: " + action);
        }
    }

    /**
     * Plants an orphaned endpoint and an orphaned package, and quarantines both with an armed apply: the pending
     * entries they made ({@code row endpoints/<id>}, {@code object <key>}).
     */
    private Set<String> quarantine(String name) throws Exception {
        daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-" + UUID.randomUUID(), "default");
        String pkg = "plugin_packages/" + DifyDataset.fakeUid("purge-" + name, 1);
        new LocalObjectWriter(DriftedDaemonAccess.storageRoot()).put(pkg, ("quarantined " + name).getBytes(StandardCharsets.UTF_8));
        Set<String> before = pending();
        RemediationPlan plan = remediation.plan(scan(runner), policy(false));
        assertEquals(2, plan.actions().size(), plan.toString());
        List<ActionResult> results = remediation.applyAll(plan, Tokens.mode(policy(true)), "purge-" + name);
        assertTrue(results.stream().allMatch(r -> r.outcome() == ActionOutcome.APPLIED), results.toString());
        plan.actions().forEach(a -> actions.add(a.id()));
        Set<String> made = new TreeSet<>(pending());
        made.removeAll(before);
        assertEquals(2, made.size(), made.toString());
        assertTrue(made.contains("object " + pkg), made.toString());
        return made;
    }

    /** Quarantined items neither restored nor purged: rows by table and id, objects by their original key. */
    private static Set<String> pending() throws SQLException {
        Set<String> out = new TreeSet<>();
        try (Connection c = db().connect();
                PreparedStatement ps = c.prepareStatement("SELECT 'row ' || table_name || '/' || row_id FROM"
                        + " plugin_reconciler.quarantine_rows WHERE restored_at IS NULL UNION ALL SELECT 'object ' || original_key"
                        + " FROM plugin_reconciler.quarantine_objects WHERE restored_at IS NULL AND purged_at IS NULL");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static RemediationPolicy policy(boolean armed) {
        return new RemediationPolicy(armed, KINDS, 1, Duration.ZERO, Duration.ZERO, 50, 1.0, Duration.ofHours(1));
    }

}
