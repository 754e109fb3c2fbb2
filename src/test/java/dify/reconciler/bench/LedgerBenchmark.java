package dify.reconciler.bench;

import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The finding ledger at scale: seeds N orphaned tool_installations rows (N findings of one scan), then runs
 * the packaged one-shot scan twice with {@code -Xmx192m} and credentials that persist state: the first run
 * opens N ledger entries, the second sees all N again. Prints wall time and peak RSS of each run; exits 1
 * unless both runs succeed with exactly N findings and the ledger holds exactly N open entries seen twice.
 *
 * <p>{@code scripts/ledger-benchmark.sh [N]} builds and runs it (default N = 1,000,000).
 */
public final class LedgerBenchmark {

    public static void main(String[] args) throws Exception {
        long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
        String xmx = System.getProperty("bench.xmx", "192m");
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
            long open = single(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL"
                    + " AND kind = 'category_row_orphaned' AND consecutive_scans = 2");
            long staged = single(db, "SELECT count(*) FROM plugin_reconciler.scan_findings");
            System.out.printf(Locale.ROOT,
                    "ledger: %,d open entries seen by both scans (expected %,d), %,d staged rows left (expected 0)%n",
                    open, n, staged);
            if (!ok || open != n || staged != 0) {
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
        System.out.printf(Locale.ROOT, "run %d: exit %d, %.2f s wall (JVM start included), peak RSS %d MiB, -Xmx%s, %s%n",
                run, p.exitValue(), seconds, hwm / 1024, xmx, found ? n + " findings" : "UNEXPECTED REPORT");
        if (p.exitValue() != 1 || !found) {
            System.out.println(Files.readString(log));
            return false;
        }
        return true;
    }

    private static long single(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
