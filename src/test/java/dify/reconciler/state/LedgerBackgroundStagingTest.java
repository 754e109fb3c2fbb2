package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.storage.CopyChunk;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Staging with the COPY off the scan's thread ({@link ChunkHandOff}), against PostgreSQL: every finding of several
 * chunks is staged and merged; a COPY that fails in the background (its backend terminated) fails the update with the
 * cause named, merges nothing and drops what the run staged; abandoning waits for the COPY in flight, so none of its
 * rows is left; and no thread of the staging outlives any of these.
 * <p>
 * To hold a COPY in flight, a statement trigger on {@code scan_findings} makes every COPY after the first wait for an
 * advisory lock the test holds (the first has nothing staged before it, so it goes through).
 */
class LedgerBackgroundStagingTest {

    private static final Instant CHANGED_AT = Instant.parse("2026-10-01T00:00:00Z");
    private static final long GATE = 4242;

    @Test
    void stagesAndMergesEveryFindingOfSeveralChunks() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = store(db);
            List<Finding> findings = findings(40_000);
            List<Integer> ends = chunkEnds(findings);
            assertTrue(ends.size() >= 3, "several chunks: " + ends);

            UUID runId = UUID.randomUUID();
            Instant seenAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
            findings.forEach(update);
            LedgerView view = update.complete(seenAt, List.of(findings.get(0)), Map.of());
            assertNull(update.problem());
            assertEquals(List.of(), copyThreads(runId), "no staging thread left after the merge");

            assertEquals(new FindingHistory(seenAt, 1), view.historyOf(findings.get(0)));
            List<String> expected = new ArrayList<>();
            for (Finding f : findings) {
                expected.add(FindingIdentity.subject(f) + "|" + f.tenantId() + "|" + f.pluginId() + "|" + f.pluginUniqueIdentifier() + "|"
                        + f.detail());
            }
            List<String> merged = rows(db, "SELECT subject || '|' || tenant_id || '|' || plugin_id || '|' || plugin_unique_identifier"
                    + " || '|' || (evidence->>'detail') FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL"
                    + " AND kind = 'category_row_orphaned'");
            // Every finding of every chunk, the last one's included, merged as it was found (a few named if not).
            Set<String> mergedSet = new HashSet<>(merged);
            Set<String> expectedSet = new HashSet<>(expected);
            assertEquals(List.of(), expected.stream().filter(e -> !mergedSet.contains(e)).limit(3).toList(), "not merged");
            assertEquals(List.of(), merged.stream().filter(m -> !expectedSet.contains(m)).limit(3).toList(), "not found");
            assertEquals(findings.size(), merged.size());
            assertEquals("0", single(db, "SELECT count(*)::text FROM plugin_reconciler.scan_findings"));
        }
    }

    @Test
    void aCopyThatFailsInTheBackgroundFailsTheUpdateWithItsCauseAndMergesNothing() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase(); Connection gate = db.connect()) {
            StateStore store = store(db);
            Finding earlier = finding(999_999);
            PostgresLedgerUpdate first = new PostgresLedgerUpdate(store, UUID.randomUUID(), Duration.ofDays(30));
            first.accept(earlier);
            first.complete(CHANGED_AT, List.of(earlier), Map.of());
            assertNull(first.problem());
            gateCopiesAfterTheFirst(gate);

            List<Finding> findings = findings(40_000);
            List<Integer> ends = chunkEnds(findings);
            UUID runId = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
            // The first chunk is sent; the second is handed over and waits at the gate.
            for (Finding f : findings.subList(0, ends.get(1))) {
                update.accept(f);
            }
            int copying = backendWaitingAtTheGate(db);
            // Meanwhile the scan goes on filling the next chunk.
            long t0 = System.nanoTime();
            for (Finding f : findings.subList(ends.get(1), ends.get(2) - 1)) {
                update.accept(f);
            }
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the scan did not wait for the COPY in flight");
            assertEquals(1, copyThreads(runId).size());
            assertEquals("true", single(db, "SELECT pg_terminate_backend(" + copying + ")::text"));
            open(gate); // the last chunk would go through: only the terminated COPY can fail the update

            LedgerView view = update.complete(Instant.now().truncatedTo(ChronoUnit.MICROS), List.of(findings.get(0)), Map.of());
            String problem = update.problem();
            String prefix = "writing findings to \"plugin_reconciler\".scan_findings failed: ";
            assertTrue(problem != null && problem.startsWith(prefix) && problem.length() > prefix.length(), problem);
            // The COPY's own error as the driver reports a lost backend (e.g. "Database connection failed when ending
            // copy"), not the failed rollback's "This connection has been closed." that used to hide it.
            assertFalse(problem.contains("has been closed"), problem);
            assertSame(LedgerView.EMPTY, view);
            assertEquals(List.of(), copyThreads(runId), "no staging thread left after the failure");
            assertEquals("0", single(db, "SELECT count(*)::text FROM plugin_reconciler.scan_findings"),
                    "the first chunk's rows, sent before the failure, are dropped");
            assertEquals(List.of(FindingIdentity.subject(earlier) + "|open"),
                    rows(db, "SELECT subject || '|' || CASE WHEN closed_at IS NULL"
                            + " THEN 'open' ELSE 'closed' END FROM plugin_reconciler.finding_ledger"),
                    "nothing merged, nothing closed");
        }
    }

    @Test
    void abandoningWaitsForTheCopyInFlightSoNoneOfItsRowsIsLeft() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase(); Connection gate = db.connect()) {
            StateStore store = store(db);
            gateCopiesAfterTheFirst(gate);
            List<Finding> findings = findings(30_000);
            List<Integer> ends = chunkEnds(findings);
            UUID runId = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
            for (Finding f : findings.subList(0, ends.get(1))) {
                update.accept(f);
            }
            backendWaitingAtTheGate(db);

            Thread abandoning = new Thread(update::abandon, "abandoning");
            abandoning.start();
            abandoning.join(500);
            assertTrue(abandoning.isAlive(), "abandon waits while a chunk is in flight");
            open(gate);
            abandoning.join(30_000);
            assertFalse(abandoning.isAlive());
            assertEquals(List.of(), copyThreads(runId), "no staging thread left after abandon");
            assertEquals("0", single(db, "SELECT count(*)::text FROM plugin_reconciler.scan_findings"),
                    "the chunk in flight committed before the run's rows were deleted");
        }
    }

    /** Every COPY into scan_findings after the first waits for the test's advisory lock, which it takes now. */
    private static void gateCopiesAfterTheFirst(Connection gate) throws Exception {
        try (var st = gate.createStatement()) {
            st.execute("CREATE FUNCTION plugin_reconciler.test_gate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF EXISTS (SELECT 1 FROM plugin_reconciler.scan_findings) THEN"
                    // Bounded, so that a broken hand-off fails the test instead of hanging it.
                    + " PERFORM set_config('lock_timeout', '20s', true); PERFORM pg_advisory_xact_lock_shared(" + GATE
                    + "); END IF; RETURN NULL; END $$");
            st.execute("CREATE TRIGGER test_gate BEFORE INSERT ON plugin_reconciler.scan_findings FOR EACH STATEMENT"
                    + " EXECUTE FUNCTION plugin_reconciler.test_gate()");
            st.execute("SELECT pg_advisory_lock(" + GATE + ")");
        }
    }

    private static void open(Connection gate) throws Exception {
        try (PreparedStatement ps = gate.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, GATE);
            ps.executeQuery().close();
        }
    }

    /** The backend of the COPY waiting at the gate (waits for it up to 30 s). */
    private static int backendWaitingAtTheGate(TestDatabase db) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            List<String> pids = rows(db, "SELECT pid::text FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    + " AND wait_event = 'advisory' AND query LIKE 'COPY %scan_findings (%'");
            if (pids.size() == 1) {
                return Integer.parseInt(pids.get(0));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no COPY waiting at the gate: " + rows(db, "SELECT concat_ws('|', pid, state, wait_event_type,"
                + " wait_event, left(query, 60)) FROM pg_stat_activity WHERE backend_type = 'client backend'"));
    }

    /** The live threads staging the run's findings. */
    private static List<Thread> copyThreads(UUID runId) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("ledger-copy-" + runId)).toList();
    }

    /**
     * The index after the last finding of each full chunk, as the update's encoder fills them (the same encoder, so
     * the same bytes); the rest is the last, partial chunk.
     */
    private static List<Integer> chunkEnds(List<Finding> findings) {
        StagedRowEncoder encoder = new StagedRowEncoder();
        CopyChunk chunk = new CopyChunk(LedgerStaging.CHUNK_BYTES);
        List<Integer> ends = new ArrayList<>();
        for (int i = 0; i < findings.size(); i++) {
            encoder.stage(findings.get(i), chunk);
            if (chunk.size() >= LedgerStaging.CHUNK_BYTES) {
                ends.add(i + 1);
                chunk.reset();
            }
        }
        return ends;
    }

    /** Findings that vary in every staged column (tenants, plugins, identifiers, details), some sharing codes. */
    private static List<Finding> findings(int n) {
        List<Finding> findings = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            findings.add(finding(i));
        }
        return findings;
    }

    private static Finding finding(int i) {
        return Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", new UUID(7, i).toString(),
                "acme/p" + i % 97 + ":0.0.1@" + "a".repeat(64), "acme/p" + i % 97, "t" + i % 1013,
                ObservedVersion.row(CHANGED_AT.plusSeconds(i % 7)), "orphaned \t row " + i % 11);
    }

    private static StateStore store(TestDatabase db) {
        StateStore store = TestStateStores.on(db.dataSource());
        assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
        return store;
    }

    private static List<String> rows(TestDatabase db, String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }

    private static String single(TestDatabase db, String sql) throws Exception {
        List<String> rows = rows(db, sql);
        assertEquals(1, rows.size(), sql);
        return rows.get(0);
    }
}
