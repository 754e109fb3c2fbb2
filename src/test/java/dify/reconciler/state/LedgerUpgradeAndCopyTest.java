package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.remediate.LedgerCandidates;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;

/**
 * A state schema left by the previous release (V7) with ledger entries and another run's staged rows in it is
 * upgraded to V8 in place, and the first scan after it merges through COPY as before: an entry seen again keeps
 * its first-seen time and counts the scan, a new one opens, one not seen closes, one past retention goes, the
 * other run's staged rows stay, and a key with a tab, a line break and a backslash arrives byte for byte.
 */
class LedgerUpgradeAndCopyTest {

    private static final String SCHEMA = "plugin_reconciler";
    private static final Instant OPENED = Instant.parse("2026-10-01T00:00:00Z");
    private static final UUID EARLIER_RUN = new UUID(1, 1);
    private static final UUID RUN_IN_FLIGHT = new UUID(9, 9);
    /** The version of the last migration, e.g. "12". */
    private static final String LATEST = StateMigrations.FILES.get(StateMigrations.FILES.size() - 1).replaceAll("^V(\\d+)__.*", "$1");

    @Test
    void upgradesALedgerWithEntriesAndMergesTheNextScanThroughCopy() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            migrate(db, "7");
            try (Connection c = db.connect()) {
                entry(c, FindingKind.CATEGORY_ROW_ORPHANED, "row:tool_installations/seen-again", 3, null);
                entry(c, FindingKind.ENDPOINT_ORPHANED, "row:endpoints/fixed", 1, null);
                entry(c, FindingKind.ENDPOINT_ORPHANED, "row:endpoints/long-closed", 1, Instant.parse("2025-01-01T00:00:00Z"));
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO plugin_reconciler.scan_findings (run_id, kind, subject,"
                        + " severity, evidence) VALUES (?, 'package_orphaned', 'object:plugin_packages/x', 'info', '{}')")) {
                    ps.setObject(1, RUN_IN_FLIGHT);
                    ps.executeUpdate();
                }
            }

            StateStore store = new StateStore();
            store.dataSource = db.dataSource();
            store.config = StateStoreTest.config(SCHEMA);
            store.role = ProcessMode.SERVICE;
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            // Upgraded from V7 to the latest migration (V8 and V12 among them), with the entries above in place.
            assertEquals(LATEST,
                    single(db, "SELECT max(version::int)::text FROM plugin_reconciler.flyway_schema_history"));
            assertEquals("true", single(db, "SELECT bool_and(success)::text FROM plugin_reconciler.flyway_schema_history"
                    + " WHERE version IN ('8', '12')"));

            String oddKey = "plugin/tenant/odd\tkey\nwith\\backslash, \\N and \u00fcnicode.difypkg";
            Finding seenAgain = Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", "seen-again", "acme/gone:1",
                    "acme/gone", "t1", null, "still orphaned");
            Finding odd = Finding.object(FindingKind.PACKAGE_ORPHANED, oddKey, null,
                    new ObservedVersion(null, 42L, OPENED, "\"etag\\1\""), "nobody installed it");
            Instant seenAt = Instant.now().truncatedTo(ChronoUnit.MICROS);
            UUID runId = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
            update.accept(seenAgain);
            update.accept(odd);
            update.accept(odd); // staged twice by one scan: one entry
            // Enough endpoints for several COPY chunks.
            List<Finding> many = new ArrayList<>();
            for (int i = 0; i < 8_000; i++) {
                many.add(Finding.row(FindingKind.ENDPOINT_ORPHANED, "endpoints", "e" + i, null, "acme/gone", "t" + i, null,
                        "endpoint " + i + " of a plugin nobody installed, padded to make the rows realistic in size: "
                                + "x".repeat(300)));
            }
            many.forEach(update);
            LedgerView view = update.complete(seenAt, List.of(seenAgain, odd), Map.of());
            assertNull(update.problem());

            assertEquals(new FindingHistory(OPENED, 4), view.historyOf(seenAgain), "first seen kept, the scan counted");
            assertEquals(new FindingHistory(seenAt, 1), view.historyOf(odd));
            assertEquals(runId.toString(), single(db, "SELECT last_run::text FROM plugin_reconciler.finding_ledger"
                    + " WHERE subject = 'row:tool_installations/seen-again' AND closed_at IS NULL"));
            assertEquals("still orphaned", single(db, "SELECT evidence->>'detail' FROM plugin_reconciler.finding_ledger"
                    + " WHERE subject = 'row:tool_installations/seen-again' AND closed_at IS NULL"));
            assertEquals("1", single(db, "SELECT count(*)::text FROM plugin_reconciler.finding_ledger WHERE kind = 'package_orphaned'"));
            assertEquals("object:" + oddKey, single(db, "SELECT subject FROM plugin_reconciler.finding_ledger"
                    + " WHERE kind = 'package_orphaned' AND closed_at IS NULL"));
            assertEquals(oddKey + "|\"etag\\1\"", single(db, "SELECT (evidence->>'key') || '|' || (evidence->'observed'->>'etag')"
                    + " FROM plugin_reconciler.finding_ledger WHERE kind = 'package_orphaned'"));
            assertEquals("8000", single(db, "SELECT count(*)::text FROM plugin_reconciler.finding_ledger"
                    + " WHERE kind = 'endpoint_orphaned' AND closed_at IS NULL AND last_run = '" + runId + "'"));
            try (Connection c = db.connect();
                    ResultSet rs = c.createStatement().executeQuery(
                            "SELECT closed_at FROM plugin_reconciler.finding_ledger WHERE subject = 'row:endpoints/fixed'")) {
                assertTrue(rs.next());
                assertEquals(seenAt, rs.getTimestamp(1).toInstant(), "not seen by this scan: closed at its start");
            }
            assertEquals("0", single(db, "SELECT count(*)::text FROM plugin_reconciler.finding_ledger"
                    + " WHERE subject = 'row:endpoints/long-closed'"), "closed past the retention: deleted");
            assertEquals("0", single(db, "SELECT count(*)::text FROM plugin_reconciler.scan_findings WHERE run_id = '" + runId + "'"));
            assertEquals("1", single(db, "SELECT count(*)::text FROM plugin_reconciler.scan_findings"
                    + " WHERE run_id = '" + RUN_IN_FLIGHT + "'"), "another run's staged rows are its own");
            assertFalse(Boolean.parseBoolean(single(db, "SELECT (count(*) > 0)::text FROM pg_indexes WHERE schemaname = 'plugin_reconciler'"
                    + " AND indexname = 'scan_findings_run'")), "the staging index the merge never used is gone");
            assertTrue(view.oldestFirstSeen().get(FindingKind.CATEGORY_ROW_ORPHANED).equals(OPENED));
        }
    }

    /**
     * V12: a scan that sees an entry again with the same evidence counts it without writing it (the row's version,
     * xmin, stays); changed evidence is written; an entry a scan no longer sees closes with the counts it had (scans in
     * a row, last run, last seen), read through the {@code finding_ledger} view as before; the staged rows go.
     */
    @Test
    void countsEntriesSeenAgainWithoutRewritingThemAndClosesWithTheirCounts() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = new StateStore();
            store.dataSource = db.dataSource();
            store.config = StateStoreTest.config(SCHEMA);
            store.role = ProcessMode.SERVICE;
            assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
            Finding same = Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", "same", "acme/gone:1", "acme/gone",
                    "t1", ObservedVersion.row(OPENED), "orphaned");
            Finding changing = Finding.row(FindingKind.ENDPOINT_ORPHANED, "endpoints", "changing", null, "acme/gone", "t1",
                    ObservedVersion.row(OPENED), "first detail");
            Finding changed = Finding.row(FindingKind.ENDPOINT_ORPHANED, "endpoints", "changing", null, "acme/gone", "t1",
                    ObservedVersion.row(OPENED.plusSeconds(60)), "second detail");
            Finding going = Finding.row(FindingKind.ENDPOINT_ORPHANED, "endpoints", "going", null, "acme/gone", "t1",
                    ObservedVersion.row(OPENED), "orphaned");

            Instant first = OPENED.plus(Duration.ofDays(1));
            UUID firstRun = UUID.randomUUID();
            merge(store, firstRun, first, List.of(same, changing, going));
            String sameVersion = entryVersion(db, "row:tool_installations/same");
            String changingVersion = entryVersion(db, "row:endpoints/changing");

            Instant second = first.plus(Duration.ofHours(1));
            UUID secondRun = UUID.randomUUID();
            LedgerView view = merge(store, secondRun, second, List.of(same, changed, going));
            assertEquals(new FindingHistory(first, 2), view.historyOf(same));
            assertEquals(sameVersion, entryVersion(db, "row:tool_installations/same"), "seen again unchanged: not rewritten");
            assertFalse(changingVersion.equals(entryVersion(db, "row:endpoints/changing")), "changed evidence is written");
            assertEquals("second detail", single(db, "SELECT evidence->>'detail' FROM plugin_reconciler.finding_ledger"
                    + " WHERE subject = 'row:endpoints/changing' AND closed_at IS NULL"));
            assertEquals("2|" + secondRun + "|" + second, counts(db, "row:endpoints/changing"));

            Instant third = second.plus(Duration.ofHours(1));
            UUID thirdRun = UUID.randomUUID();
            view = merge(store, thirdRun, third, List.of(same, changed));
            assertEquals(new FindingHistory(first, 3), view.historyOf(same));
            assertEquals("3|" + thirdRun + "|" + third, counts(db, "row:tool_installations/same"));
            assertEquals("2|" + secondRun + "|" + second + "|" + third, single(db, "SELECT consecutive_scans || '|' || last_run || '|'"
                    + " || to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') || '|'"
                    + " || to_char(closed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                    + " FROM plugin_reconciler.finding_ledger WHERE subject = 'row:endpoints/going'"), "closed with the counts it had");
            assertEquals("0", single(db, "SELECT pg_relation_size('plugin_reconciler.scan_findings')::text"),
                    "no other run staged: the staging table was emptied, not left full of dead rows");
        }
    }

    private static LedgerView merge(StateStore store, UUID runId, Instant seenAt, List<Finding> findings) {
        PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, runId, Duration.ofDays(30));
        findings.forEach(update);
        LedgerView view = update.complete(seenAt, findings, Map.of());
        assertNull(update.problem());
        return view;
    }

    /** The row version of an open entry: it changes when the row is written. */
    private static String entryVersion(TestDatabase db, String subject) throws Exception {
        return single(db, "SELECT xmin::text || '/' || ctid::text FROM plugin_reconciler.finding_entries"
                + " WHERE closed_at IS NULL AND subject = '" + subject + "'");
    }

    /** consecutive_scans|last_run|last_seen of an open entry, as the view shows them. */
    private static String counts(TestDatabase db, String subject) throws Exception {
        return single(db, "SELECT consecutive_scans || '|' || last_run || '|'"
                + " || to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                + " FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL AND subject = '" + subject + "'");
    }

    /**
     * The planner's read: confirmed entries of every allowed kind before unconfirmed ones, each tier oldest first
     * across kinds, only open entries the given run saw, and no more than the limit (what the planner consumes).
     */
    @Test
    void plansReadConfirmedThenUnconfirmedOldestFirstAcrossKindsUpToTheLimit() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            migrate(db, "8");
            UUID run = UUID.randomUUID();
            try (Connection c = db.connect()) {
                // subject, kind, days after OPENED, scans, run, closed
                seen(c, "young-confirmed-endpoint", FindingKind.ENDPOINT_ORPHANED, 5, 3, run, false);
                seen(c, "old-unconfirmed-category", FindingKind.CATEGORY_ROW_ORPHANED, 1, 1, run, false);
                seen(c, "old-confirmed-category", FindingKind.CATEGORY_ROW_ORPHANED, 2, 2, run, false);
                seen(c, "mid-confirmed-endpoint", FindingKind.ENDPOINT_ORPHANED, 3, 2, run, false);
                seen(c, "young-unconfirmed-endpoint", FindingKind.ENDPOINT_ORPHANED, 6, 1, run, false);
                seen(c, "oldest-other-run", FindingKind.ENDPOINT_ORPHANED, 0, 5, EARLIER_RUN, false);
                seen(c, "oldest-closed", FindingKind.ENDPOINT_ORPHANED, 0, 5, run, true);
                seen(c, "oldest-not-allowed", FindingKind.PACKAGE_ORPHANED, 0, 5, run, false);
            }
            migrate(db, LATEST); // read through V12's view of the same entries
            List<FindingKind> allowed = List.of(FindingKind.ENDPOINT_ORPHANED, FindingKind.CATEGORY_ROW_ORPHANED);
            LedgerCandidates ledger = new LedgerCandidates(db.dataSource(), "plugin_reconciler.finding_entries",
                    "plugin_reconciler.ledger_scans");
            assertEquals(List.of("old-confirmed-category", "mid-confirmed-endpoint", "young-confirmed-endpoint",
                    "old-unconfirmed-category", "young-unconfirmed-endpoint"), ids(ledger, run, allowed, 100));
            assertEquals(List.of("old-confirmed-category", "mid-confirmed-endpoint"), ids(ledger, run, allowed, 2));
            assertEquals(List.of("old-confirmed-category", "old-unconfirmed-category"),
                    ids(ledger, run, List.of(FindingKind.CATEGORY_ROW_ORPHANED), 100));
        }
    }

    private static List<String> ids(LedgerCandidates ledger, UUID run, List<FindingKind> kinds, int limit) throws Exception {
        return ledger.read(run.toString(), kinds, 2, limit, candidates -> {
            List<String> read = new ArrayList<>();
            candidates.forEachRemaining(candidate -> read.add(candidate.finding().id()));
            return read;
        });
    }

    private static void seen(Connection c, String id, FindingKind kind, int day, int scans, UUID run, boolean closed) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO plugin_reconciler.finding_ledger (kind, subject, severity,"
                + " first_seen, last_seen, consecutive_scans, last_run, evidence, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
                + " jsonb_build_object('kind', ?::text, 'table', 't', 'id', ?::text, 'detail', 'd'), ?)")) {
            Instant first = OPENED.plus(Duration.ofDays(day));
            ps.setString(1, kind.label());
            ps.setString(2, "row:t/" + id);
            ps.setString(3, kind.severity().label());
            ps.setTimestamp(4, Timestamp.from(first));
            ps.setTimestamp(5, Timestamp.from(first));
            ps.setInt(6, scans);
            ps.setObject(7, run);
            ps.setString(8, kind.label());
            ps.setString(9, id);
            ps.setTimestamp(10, closed ? Timestamp.from(first) : null);
            ps.executeUpdate();
        }
    }

    private static void migrate(TestDatabase db, String target) {
        new FluentConfiguration(LedgerUpgradeAndCopyTest.class.getClassLoader()).dataSource(db.dataSource()).schemas(SCHEMA)
                .defaultSchema(SCHEMA).createSchemas(true).table("flyway_schema_history").resourceProvider(new StateMigrations())
                .locations(StateMigrations.FOLDER).target(target).load().migrate();
    }

    private static void entry(Connection c, FindingKind kind, String subject, int scans, Instant closedAt) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO plugin_reconciler.finding_ledger (kind, subject, severity,"
                + " first_seen, last_seen, consecutive_scans, last_run, evidence, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?,"
                + " '{\"detail\": \"as first seen\"}', ?)")) {
            ps.setString(1, kind.label());
            ps.setString(2, subject);
            ps.setString(3, kind.severity().label());
            ps.setTimestamp(4, Timestamp.from(OPENED));
            ps.setTimestamp(5, Timestamp.from(OPENED));
            ps.setInt(6, scans);
            ps.setObject(7, EARLIER_RUN);
            ps.setTimestamp(8, closedAt == null ? null : Timestamp.from(closedAt));
            ps.executeUpdate();
        }
    }

    private static String single(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); ResultSet rs = c.createStatement().executeQuery(sql)) {
            assertTrue(rs.next(), "no row: " + sql);
            String value = rs.getString(1);
            assertFalse(rs.next(), "more than one row: " + sql);
            return value;
        }
    }
}
