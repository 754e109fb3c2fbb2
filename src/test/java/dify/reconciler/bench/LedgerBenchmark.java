package dify.reconciler.bench;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.LedgerCandidates;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.planner.RemediationPlanner;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The finding ledger at scale: seeds N orphaned tool_installations rows (N findings of one scan), then runs
 * the packaged one-shot scan twice with {@code -Xmx192m} and credentials that persist state: the first run
 * opens N ledger entries, the second sees all N again. Prints wall time, peak RSS and the ledger's part (staging
 * and merge, from the scan's log) of each run, then times a remediation plan over the N open entries; exits 1
 * unless both runs succeed with exactly N findings staged and reported, the ledger holds exactly N open entries
 * seen twice, and the plan holds the actions its cap allows.
 *
 * <p>{@code scripts/ledger-benchmark.sh [N]} builds and runs it (default N = 1,000,000).
 */
public final class LedgerBenchmark {

    /** What {@code PostgresLedgerUpdate} logs once a scan's findings are merged. */
    private static final Pattern LEDGER_LINE = Pattern
            .compile("ledger: (\\d+) findings staged in ([0-9.]+) s and merged in ([0-9.]+) s \\(run [^;]*; ([^)]*)\\)");

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
        String xmx = System.getProperty("bench.xmx", "192m");
        // Both scans as the Deployment runs them, without the class-data archive PackagedApp makes in the background
        // after a first launch: the second scan mapped it (about 28 MiB more class-sharing memory than the first, NMT)
        // and the first did not, which made the second's peak RSS look higher for reasons not ours.
        System.setProperty("packaged.class-archive", "false");
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            long t0 = System.nanoTime();
            String uid = "acme/gone:0.0.1@" + "a".repeat(64);
            DaemonRows.on(db).copyCategoryRows("tool_installations", n,
                    i -> new DaemonRows.CategoryRow(new UUID(7, i), "p" + i, uid, "acme/gone"));
            try (Connection c = db.connect()) {
                c.createStatement().execute("VACUUM ANALYZE");
            }
            System.out.printf(Locale.ROOT, "seeded %,d orphaned category rows in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
            Path root = Files.createTempDirectory("ledger-bench-storage");
            Map<String, String> env = db.ownerEnvironment(root);
            boolean ok = true;
            for (int run = 1; run <= 2; run++) {
                ok &= oneShot(run, env, xmx, n);
            }
            plan(db, n); // warms up the JIT and Jackson in this process: the second plan is the figure
            double planSeconds = plan(db, n);
            long open = single(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL"
                    + " AND kind = 'category_row_orphaned' AND consecutive_scans = 2");
            long staged = single(db, "SELECT count(*) FROM plugin_reconciler.scan_findings");
            System.out.printf(Locale.ROOT,
                    "ledger: %,d open entries seen by both scans (expected %,d), %,d staged rows left (expected 0)%n",
                    open, n, staged);
            if (!ok || open != n || staged != 0 || planSeconds < 0) {
                System.out.println("LEDGER BENCHMARK FAILED");
                System.exit(1);
            }
        }
        System.exit(0);
    }

    private static boolean oneShot(int run, Map<String, String> env, String xmx, long n) throws Exception {
        Path report = Files.createTempFile("ledger-bench", ".json");
        Path log = Files.createTempFile("ledger-bench", ".log");
        long t0 = System.nanoTime();
        Process p = PackagedApp.builder(env, List.of("-Xmx" + xmx), "scan", "--output", report.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long hwm = Benchmark.pollHwm(p);
        double seconds = (System.nanoTime() - t0) / 1e9;
        String json = Files.readString(report);
        boolean found = json.contains("\"category_row_orphaned\" : " + n);
        String output = Files.readString(log);
        Matcher ledger = LEDGER_LINE.matcher(output);
        String ledgerPart = ledger.find()
                ? "ledger " + ledger.group(1) + " findings: staged " + ledger.group(2) + " s, merged "
                        + ledger.group(3) + " s (" + ledger.group(4) + ")"
                : "NO LEDGER LINE";
        System.out.printf(Locale.ROOT, "run %d: exit %d, %.2f s wall (JVM start included), peak RSS %d MiB, -Xmx%s, %s; %s%n",
                run, p.exitValue(), seconds, hwm / 1024, xmx, found ? n + " findings" : "UNEXPECTED REPORT", ledgerPart);
        if (!ledger.find(0) || Long.parseLong(ledger.group(1)) != n) {
            System.out.println(output);
            return false;
        }
        if (p.exitValue() != 1 || !found) {
            System.out.println(output);
            return false;
        }
        return true;
    }

    /**
     * A remediation plan over the ledger the two scans left (n open entries, all confirmed): the planner's read
     * of the ledger plus its decisions, timed in this process. -1 unless it planned exactly the 50 actions its
     * cap allows (max-share 0.1 of n rows allows more).
     */
    private static double plan(TestDatabase db, long n) throws Exception {
        String runId;
        try (Connection c = db.connect();
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT run_id::text FROM plugin_reconciler.runs ORDER BY finished_at DESC LIMIT 1")) {
            rs.next();
            runId = rs.getString(1);
        }
        RemediationPolicy policy = new RemediationPolicy(false, Set.of(FindingKind.CATEGORY_ROW_ORPHANED), 2, Duration.ZERO,
                Duration.ZERO, 50, 0.1, Duration.ofHours(1));
        LedgerCandidates ledger = new LedgerCandidates(db.dataSource(), "plugin_reconciler.finding_entries",
                "plugin_reconciler.ledger_scans");
        long t0 = System.nanoTime();
        RemediationPlan plan = ledger.read(runId, policy.allowed(), policy.confirmations(), RemediationPlanner.mostCandidatesRead(policy),
                candidates -> new RemediationPlanner(policy).plan("bench", runId, Instant.now(), "bench", candidates,
                        Map.of(FindingKind.CATEGORY_ROW_ORPHANED, n)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf(Locale.ROOT, "plan at %,d open entries: %.3f s, %d actions, %d withheld%n", n, seconds,
                plan.actions().size(), plan.withheldTotal());
        return plan.actions().size() == Math.min(50, n / 10) ? seconds : -1;
    }

    private static long single(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
