package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dify.reconciler.catalog.Finding;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A merge with nothing open (a first scan, or one after every finding was fixed) opens every staged finding with a
 * plain insert, without the unique index's arbiter check (issue 20: a quarter of the insert's CPU at a million
 * entries). A finding staged twice by one scan still opens one entry: the insert falls back to ON CONFLICT DO NOTHING.
 */
class LedgerFirstScanTest {

    private static final Instant AT = Instant.parse("2026-10-01T00:00:00Z");

    @Test
    void opensEveryStagedFindingOnce() throws Exception {
        assertEquals(List.of("row:tool_installations/" + new UUID(7, 0), "row:tool_installations/" + new UUID(7, 1),
                "row:tool_installations/" + new UUID(7, 2)), firstScan(0, 1, 2));
    }

    @Test
    void opensAFindingStagedTwiceByOneScanOnce() throws Exception {
        assertEquals(List.of("row:tool_installations/" + new UUID(7, 0), "row:tool_installations/" + new UUID(7, 1),
                "row:tool_installations/" + new UUID(7, 2)), firstScan(0, 1, 1, 2));
    }

    /** The open entries' subjects after a first scan that staged the benchmark's findings {@code i}, in order. */
    private static List<String> firstScan(int... findings) throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = TestStateStores.on(db.dataSource());
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            UUID run = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
            for (int i : findings) {
                update.accept(LedgerMergeBench.finding(i, AT));
            }
            Finding reported = LedgerMergeBench.finding(1, AT);
            LedgerView view = update.complete(AT, List.of(reported), Map.of());
            assertNull(update.problem());
            assertEquals(new FindingHistory(AT, 1), view.historyOf(reported));
            List<String> subjects = new ArrayList<>();
            try (Connection c = db.connect();
                    ResultSet rs = c.createStatement().executeQuery("SELECT subject, last_run,"
                            + " consecutive_scans, (SELECT count(*) FROM plugin_reconciler.scan_findings) FROM plugin_reconciler.finding_ledger"
                            + " WHERE closed_at IS NULL ORDER BY subject COLLATE \"C\"")) {
                while (rs.next()) {
                    subjects.add(rs.getString(1));
                    assertEquals(run.toString(), rs.getString(2));
                    assertEquals(1, rs.getInt(3));
                    assertEquals(0, rs.getInt(4), "staged rows left");
                }
            }
            return subjects;
        }
    }
}
