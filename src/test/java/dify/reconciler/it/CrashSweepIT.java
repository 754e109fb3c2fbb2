package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RemediationRecords;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A deterministic sweep of SIGKILLs through one armed {@code apply} of a plan holding row and object actions of
 * eleven kinds (refers, an orphaned endpoint, an unreferenced plugin with its installed copy, an orphaned package,
 * an invalid installed key, a corrupt installed copy, a missing installed copy, an orphaned asset, a missing asset
 * re-created from its package, a missing package copied from its verified installed copy), on the packaged jar, real
 * PostgreSQL and S3Proxy. Each round kills the process when the audit shows {@code k} actions done, {@code d}
 * milliseconds later ({@code Process.destroyForcibly}: SIGKILL). After every kill: each planted row is in its table
 * or in quarantine, each planted object's bytes at their key or under the quarantine prefix, never neither; after
 * {@code recover}: nothing half done, no object in both places; after {@code restore --all}: every daemon table and
 * every object exactly as planted.
 *
 * <p>
 * The default suite kills at one point (after five actions, about half a minute), the sweep ({@link Sweep}) at one more
 * (after the first action); each of these rounds must really kill mid-apply. {@code -Dfault.sweep=true} (the
 * {@code fault-sweep} Maven profile) kills after every action count with several delays (docs/guarantees.md).
 */
class CrashSweepIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final boolean SWEEP = Boolean.getBoolean("fault.sweep");
    /** How many actions the planted drifts plan (the object step of plugin_unreferenced shares its action). */
    private static final int ACTIONS = 11;
    private static final String KINDS = "refers_too_low,refers_drift,endpoint_orphaned,plugin_unreferenced,package_orphaned,"
            + "asset_orphaned,asset_missing,package_missing,"
            + "invalid_installed_key,checksum_mismatch,installed_copy_differs,installed_object_missing";

    /** A kill point: after {@code actions} audited actions of the round's apply, {@code delayMillis} later. */
    private record KillPoint(int actions, int delayMillis) {
        @Override
        public String toString() {
            return "kill after " + actions + " action(s) + " + delayMillis + " ms";
        }
    }

    @Test
    @Tag(Sweep.TAG)
    void killedAnywhereInAnApplyNothingIsLostRecoveryLeavesNothingTwiceAndRestoreIsExact(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("crash-sweep-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(3, 4, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket);
            // No scan of the seeded dataset first (a launch): ScanCommandIT proves a seeded DifyDataset scans clean, and
            // the plan below must hold exactly the planted actions.

            DaemonRows daemon = DaemonRows.on(db);
            CrashDrift.plant(daemon, writer, client, bucket, dataset, LAYOUT);

            Map<String, String> planted = BucketContents.of(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);
            Map<String, Set<String>> rowIds = rowIds(db, tables.keySet());
            Map<String, String> armed = EagerRemediation.armed(env);

            int killed = 0;
            List<KillPoint> points = killPoints();
            for (KillPoint point : points) {
                Path planFile = tmp.resolve("plan-" + point.actions() + "-" + point.delayMillis() + ".json");
                PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
                assertEquals(1, plan.exitCode(), point + ": " + plan.stdout() + plan.stderr());
                assertTrue(plan.stdout().contains("Actions: " + ACTIONS + ";"),
                        point + ": every planted drift is planned: " + plan.stdout());

                boolean wasKilled = applyAndKill(db, armed, planFile, point, tmp);
                System.out.println("crash sweep: " + point + (wasKilled ? ": killed mid-apply" : ": the apply had finished"));
                if (wasKilled) {
                    killed++;
                }
                Map<String, String> afterKill = BucketContents.of(client, bucket);
                CrashDrift.assertNothingLost(planted, afterKill, point.toString());
                assertEveryRowInItsTableOrQuarantine(db, rowIds, point);

                PackagedApp.Outcome recover = PackagedApp.run(armed, "recover");
                assertEquals(0, recover.exitCode(), point + ": " + recover.stdout() + recover.stderr());
                assertEquals(0L, RemediationRecords.incompleteObjectEntries(db), point + ": nothing is left half done after recover");
                Map<String, String> recovered = BucketContents.of(client, bucket);
                CrashDrift.assertInExactlyOnePlace(planted, recovered, point.toString());
                assertEveryRowInItsTableOrQuarantine(db, rowIds, point);

                PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
                assertEquals(0, restore.exitCode(), point + ": " + restore.stdout() + restore.stderr());
                assertEquals(planted, BucketContents.of(client, bucket), point + ": restore puts back every object's exact bytes");
                assertEquals(tables, TableDump.daemon(db), point + ": restore puts back every daemon table exactly");
            }
            assertTrue(killed >= (SWEEP ? 30 : points.size()), "most rounds must really kill mid-apply, not find it finished: " + killed);
        }
    }

    private static List<KillPoint> killPoints() {
        if (!SWEEP) {
            return Sweep.part(List.of(new KillPoint(1, 0), new KillPoint(5, 2)), p -> p.actions() == 5);
        }
        List<KillPoint> points = new ArrayList<>();
        for (int actions = 0; actions < ACTIONS; actions++) {
            for (int delay : new int[] {0, 1, 3, 8, 20}) {
                points.add(new KillPoint(actions, delay));
            }
        }
        return points;
    }

    /**
     * Starts the armed apply and SIGKILLs it at the point; true when it was killed, false when it had finished
     * first (then it must have succeeded).
     */
    private static boolean applyAndKill(TestDatabase db, Map<String, String> armed, Path planFile, KillPoint point, Path tmp)
            throws Exception {
        long before = RemediationRecords.auditedActions(db);
        Path out = tmp.resolve("apply.out");
        Process p = PackagedApp.builder(armed, List.of("-Xmx256m"), "apply", "--plan", planFile.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(2));
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM plugin_reconciler.remediation_actions")) {
            while (p.isAlive() && Instant.now().isBefore(giveUp)) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) - before >= point.actions()) {
                        break;
                    }
                }
                Thread.sleep(1);
            }
        }
        if (point.delayMillis() > 0) {
            Thread.sleep(point.delayMillis());
        }
        boolean wasAlive = p.isAlive();
        p.destroyForcibly();
        assertTrue(p.waitFor(1, TimeUnit.MINUTES), point + ": the killed apply did not end");
        if (!wasAlive) {
            assertEquals(0, p.exitValue(), point + ": an apply that finished before the kill succeeded: " + Files.readString(out));
        }
        return wasAlive;
    }

    /** Shared with {@link StepBoundariesIT}; {@code point} names the kill in messages. */
    static void assertEveryRowInItsTableOrQuarantine(TestDatabase db, Map<String, Set<String>> planted, Object point)
            throws Exception {
        Map<String, Set<String>> now = rowIds(db, planted.keySet());
        Set<String> quarantined = new HashSet<>();
        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT table_name || '/' || row_id FROM plugin_reconciler.quarantine_rows"
                        + " WHERE restored_at IS NULL");
                ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                quarantined.add(rs.getString(1));
            }
        }
        for (Map.Entry<String, Set<String>> table : planted.entrySet()) {
            for (String id : table.getValue()) {
                assertTrue(now.get(table.getKey()).contains(id) || quarantined.contains(table.getKey() + "/" + id),
                        point + ": row " + table.getKey() + "/" + id + " is in its table or in quarantine");
            }
        }
    }

    /** The ids of every row of the daemon's tables that have an id column. */
    static Map<String, Set<String>> rowIds(TestDatabase db, Set<String> tables) throws Exception {
        Map<String, Set<String>> ids = new HashMap<>();
        try (Connection c = db.connect()) {
            for (String table : tables) {
                Set<String> set = new HashSet<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM information_schema.columns"
                        + " WHERE table_schema = 'public' AND table_name = ? AND column_name = 'id'")) {
                    ps.setString(1, table);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        if (rs.getLong(1) == 0) {
                            continue;
                        }
                    }
                }
                // the table name comes from the database's own catalog listing (TableDump), never from input
                try (PreparedStatement ps = c
                        .prepareStatement("SELECT CAST(id AS text) FROM public.\"" + table.replace("\"", "\"\"") + "\"");
                        ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        set.add(rs.getString(1));
                    }
                }
                ids.put(table, set);
            }
        }
        return ids;
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        EagerRemediation.on(env);
        env.put("RECONCILER_DEEP_VERIFY", "true"); // a corrupt installed copy is found by reading its bytes
        env.put("RECONCILER_REMEDIATION_KINDS", KINDS);
        return env;
    }
}
