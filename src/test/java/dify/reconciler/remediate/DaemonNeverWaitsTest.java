package dify.reconciler.remediate;

import static dify.reconciler.testsupport.DriftedFixture.armed;
import static dify.reconciler.testsupport.DriftedFixture.daemon;
import static dify.reconciler.testsupport.DriftedFixture.db;
import static dify.reconciler.testsupport.DriftedFixture.queryText;
import static dify.reconciler.testsupport.DriftedFixture.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.apply.RowRemedyApplier;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The daemon's own transactions, run concurrently with an armed apply on the very rows it changes, never wait
 * on us for more than a second (the daemon sets no lock timeout and would wait behind us for as long as we held
 * a lock). The simulated daemon does what section 9 of the domain notes says install and uninstall do (lock the
 * {@code plugins} row, insert or delete the installation and its category row, move {@code refers} by one) and
 * touches the endpoints we quarantine. Afterwards {@code refers} equals the installation count (our absolute
 * repair and the daemon's increments compose), and restoring the quarantined rows gives back every table. The two
 * really overlap: at least {@value #MIN_ROUNDS_DURING_APPLY} of the daemon's rounds run entirely within the apply.
 */
@QuarkusTest
@TestProfile(SharedProfiles.Service.class)
@WithTestResource(value = dify.reconciler.observe.DriftedDaemon.class, initArgs = @ResourceArg(name = "credentials", value = "owner"))
@WithTestResource(DaemonRedis.class)
class DaemonNeverWaitsTest {

    @BeforeAll
    static void itsKinds() {
        TestClassPolicy.use(false, FindingKind.REFERS_TOO_LOW, FindingKind.REFERS_DRIFT, FindingKind.CATEGORY_ROW_ORPHANED,
                FindingKind.ENDPOINT_ORPHANED, FindingKind.INVALID_IDENTIFIER_ROW);
    }

    @AfterAll
    static void configuredKinds() {
        TestClassPolicy.configured();
    }

    private static final long MAX_DAEMON_WAIT_MS = 1000;

    /**
     * At least this many of the daemon's rounds start after the apply starts and end before it ends: otherwise an
     * apply that finished before the daemon got going would pass without the two ever meeting. Measured on 2 shared
     * cores: about 60 rounds of 12 ms during a 0.8 s apply of the 26 actions.
     */
    private static final int MIN_ROUNDS_DURING_APPLY = 20;

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    @Test
    void theDaemonsInstallsAndEndpointUpdatesNeverWaitASecondWhileWeApply() throws Exception {
        Map<String, List<String>> original = TableDump.daemon(db());
        String uid = queryText("SELECT plugin_unique_identifier FROM plugins WHERE plugin_id = ?", "langgenius/plugin1");
        long installed = daemon().queryLong("SELECT count(*) FROM plugin_installations WHERE plugin_unique_identifier = ?", uid);
        daemon().execute("UPDATE plugins SET refers = 0 WHERE plugin_unique_identifier = ?", uid);
        List<String> hooks = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            String hook = "hook-" + UUID.randomUUID();
            daemon().insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default");
            hooks.add(hook);
        }
        RemediationPlan plan = remediation.plan(scan(runner));
        assertEquals(26, plan.actions().size(), plan.actions().toString());

        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong longestWaitMs = new AtomicLong();
        AtomicLong rounds = new AtomicLong();
        List<long[]> roundTimes = new CopyOnWriteArrayList<>(); // each round's start and end (nanoTime)
        CompletableFuture<Void> daemonLoop = CompletableFuture.runAsync(() -> {
            try (Connection c = db().connect()) {
                c.setAutoCommit(false);
                int round = 0;
                while (!stop.get() || round < 20) {
                    UUID tenant = UUID.randomUUID();
                    long t0 = System.nanoTime();
                    install(c, tenant, uid);
                    touchEndpoint(c, hooks.get(round % hooks.size()));
                    uninstall(c, tenant, uid);
                    long t1 = System.nanoTime();
                    longestWaitMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(t1 - t0), Math::max);
                    roundTimes.add(new long[] {t0, t1});
                    rounds.incrementAndGet();
                    round++;
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        List<ActionResult> results;
        long applyStart;
        long applyEnd;
        try {
            while (rounds.get() < 3 && !daemonLoop.isDone()) {
                Thread.sleep(5); // the daemon is busy before we start
            }
            RowRemedyApplier applier = remediation.applier();
            applyStart = System.nanoTime();
            results = applier.apply(plan, Tokens.acting(armed(remediation)), "never-waits");
            applyEnd = System.nanoTime();
        } finally {
            stop.set(true);
        }
        daemonLoop.get(2, TimeUnit.MINUTES);
        long during = roundTimes.stream().filter(t -> t[0] >= applyStart && t[1] <= applyEnd).count();
        assertTrue(during >= MIN_ROUNDS_DURING_APPLY, "only " + during + " of the daemon's " + rounds.get()
                + " rounds ran while the apply did (" + TimeUnit.NANOSECONDS.toMillis(applyEnd - applyStart) + " ms)");

        assertTrue(results.stream().allMatch(r -> r.outcome() == ActionOutcome.APPLIED), results.toString());
        assertTrue(longestWaitMs.get() < MAX_DAEMON_WAIT_MS, "the daemon's install, endpoint update and uninstall round took "
                + longestWaitMs.get() + " ms at worst (" + rounds.get() + " rounds, " + during + " during the apply)");
        assertEquals(installed, daemon().queryLong("SELECT refers FROM plugins WHERE plugin_unique_identifier = ?", uid),
                "refers equals the installation count after our repair and the daemon's installs and uninstalls");
        for (ActionResult r : results) {
            if (r.kind().equals(FindingKind.ENDPOINT_ORPHANED.label())) {
                remediation.restorer().restore(r.actionId(), "never-waits");
            }
        }
        for (String hook : hooks) {
            daemon().execute("DELETE FROM endpoints WHERE hook_id = ?", hook);
        }
        assertEquals(original, TableDump.daemon(db()), "every table as before (refers repaired to its original count)");
    }

    /** The daemon's install transaction: lock the plugins row, add the installation and its tool row, refers + 1. */
    private static void install(Connection c, UUID tenant, String uid) throws SQLException {
        lockPlugin(c, uid);
        update(c, "INSERT INTO plugin_installations (id, created_at, updated_at, tenant_id, plugin_id, plugin_unique_identifier,"
                + " runtime_type, endpoints_setups, endpoints_active, source, meta) VALUES (gen_random_uuid(), now(), now(), ?,"
                + " 'langgenius/plugin1', ?, 'local', 0, 0, 'marketplace', '{}')", tenant, uid);
        update(c, "UPDATE plugins SET refers = refers + 1 WHERE plugin_unique_identifier = ?", uid);
        c.commit();
    }

    private static void uninstall(Connection c, UUID tenant, String uid) throws SQLException {
        lockPlugin(c, uid);
        update(c, "DELETE FROM plugin_installations WHERE tenant_id = ? AND plugin_unique_identifier = ?", tenant, uid);
        update(c, "UPDATE plugins SET refers = refers - 1 WHERE plugin_unique_identifier = ?", uid);
        c.commit();
    }

    /** An endpoint update on a row we are quarantining (it finds the row, or finds it gone). */
    private static void touchEndpoint(Connection c, String hook) throws SQLException {
        update(c, "UPDATE endpoints SET enabled = enabled WHERE hook_id = ?", hook);
        c.commit();
    }

    private static void lockPlugin(Connection c, String uid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT id FROM plugins WHERE plugin_unique_identifier = ? FOR UPDATE")) {
            ps.setString(1, uid);
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next());
            }
        }
    }

    private static void update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            ps.executeUpdate();
        }
    }

}
