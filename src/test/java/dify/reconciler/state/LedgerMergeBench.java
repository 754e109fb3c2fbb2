package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.storage.CopyChunk;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The ledger's part of a scan alone, in this process (no scan, no JVM start): N findings shaped like the
 * scan's {@code category_row_orphaned} findings are encoded, staged and merged three times (the first scan opens
 * N entries, the second sees all of them again, the third sees all but a tenth, which close), timing each stage.
 * For finding where the ledger's time goes; {@code scripts/ledger-benchmark.sh} measures the packaged scan.
 *
 * <pre>
 * ./mvnw -B -ntp -o -q test-compile
 * ./mvnw -B -ntp -o -q dependency:build-classpath -Dmdep.outputFile=target/test.cp -Dmdep.includeScope=test
 * java -Xmx192m -cp "target/test-classes:target/classes:$(cat target/test.cp)" dify.reconciler.state.LedgerMergeBench 1000000
 * </pre>
 */
public final class LedgerMergeBench {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int scans = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        encodeOnly(n);
        encodeOnly(n);
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = TestStateStores.on(db.fixtureDataSource());
            if (store.ensure() != StateStore.Mode.PERSISTED) {
                throw new IllegalStateException(store.reason());
            }
            Instant changedAt = Instant.parse("2026-10-01T00:00:00Z");
            for (int scan = 1; scan <= scans; scan++) {
                // The third scan on: a tenth of the findings are gone (they close).
                int from = scan >= 3 ? n / 10 : 0;
                UUID runId = UUID.randomUUID();
                Instant seenAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
                PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
                long t0 = System.nanoTime();
                for (int i = from; i < n; i++) {
                    update.accept(finding(i, changedAt));
                }
                double staging = (System.nanoTime() - t0) / 1e9;
                long t1 = System.nanoTime();
                LedgerView view = update.complete(seenAt, List.of(finding(n - 1, changedAt)), Map.of());
                double completing = (System.nanoTime() - t1) / 1e9;
                if (update.problem() != null) {
                    throw new IllegalStateException(update.problem());
                }
                System.out.printf(Locale.ROOT, "scan %d: %,d findings, staging %.2f s, complete %.2f s, total %.2f s; history %s%n",
                        scan, n - from, staging, completing, staging + completing, view.historyOf(finding(n - 1, changedAt)));
                System.out.printf(Locale.ROOT, "  open %d, closed %d, staged left %d, ledger %s, staging table %s%n",
                        count(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL"),
                        count(db, "SELECT count(*) FROM plugin_reconciler.finding_ledger WHERE closed_at IS NOT NULL"),
                        count(db, "SELECT count(*) FROM plugin_reconciler.scan_findings"),
                        text(db, "SELECT pg_size_pretty(pg_total_relation_size('plugin_reconciler.finding_entries'))"),
                        text(db, "SELECT pg_size_pretty(pg_total_relation_size('plugin_reconciler.scan_findings'))"));
            }
        }
        System.exit(0);
    }

    /** The Java side of staging alone: findings encoded into COPY chunks that are thrown away. */
    private static void encodeOnly(int n) {
        CopyChunk chunk = new CopyChunk(LedgerStaging.CHUNK_BYTES);
        Instant changedAt = Instant.parse("2026-10-01T00:00:00Z");
        long bytes = 0;
        StagedRowEncoder encoder = new StagedRowEncoder();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            encoder.stage(finding(i, changedAt), chunk);
            if (chunk.size() >= LedgerStaging.CHUNK_BYTES) {
                bytes += chunk.size();
                chunk.reset();
            }
        }
        bytes += chunk.size();
        System.out.printf(Locale.ROOT, "encoding only: %,d findings, %,d bytes of COPY text in %.2f s%n", n, bytes,
                (System.nanoTime() - t0) / 1e9);
    }

    static Finding finding(int i, Instant changedAt) {
        return Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", new UUID(7, i).toString(),
                "acme/gone:0.0.1@" + "a".repeat(64), "acme/gone", "p" + i, ObservedVersion.row(changedAt),
                "no plugin_installations row for this tenant, plugin_id and identifier");
    }

    private static long count(TestDatabase db, String sql) throws Exception {
        return Long.parseLong(text(db, sql));
    }

    private static String text(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
