package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.api.LedgerResource;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.remediate.LedgerCandidates;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.lang.reflect.Field;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;

/**
 * V15: the ledger's kind, subject, tenant and plugin compare in byte order ({@code COLLATE "C"}) instead of the
 * database's collation (the tests' cluster: ICU en-US, as most databases have a linguistic one). A ledger V14 wrote,
 * with subjects that a linguistic collation ranks alike or equal (case, ß and ss, composed and decomposed accents,
 * Cyrillic and full-width look-alikes, a joiner) and rows another tool wrote, is carried over with every row byte-equal,
 * the same API output, search and plan; the unique index still rejects a second open entry of one identity; and the
 * next merge counts every entry as the same one.
 */
class LedgerByteOrderTest {

    private static final String SCHEMA = "plugin_reconciler";
    private static final Instant AT = Instant.parse("2026-10-01T00:00:00Z");

    /** Row ids a linguistic collation ranks alike (or, ICU's tie-break aside, equal): each one its own entry. */
    private static final List<String> LOOK_ALIKE_IDS = List.of("straße", "strasse", "STRASSE", "Straße", "caf\u00e9", "cafe\u0301",
            "A", "a", "\uff21", "\u0430", "İstanbul", "ıstanbul", "\ufb01le", "file", "x\u200dy", "xy", "\ud83d\ude00", "ÜBER", "über");

    private static final List<Finding> SCANNED = Stream.concat(
            LOOK_ALIKE_IDS.stream().map(id -> Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", id,
                    "acme/gone:1.0.0@" + "a".repeat(64), id.length() % 2 == 0 ? "acme/Ä" : "acme/ä",
                    id.length() % 3 == 0 ? "Tenant-Ä" : "tenant-ä", ObservedVersion.row(AT), "orphaned " + id)),
            Stream.of(Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/ÄÖÜ/\ud83d\ude00 key\twith tab.difypkg", "acme/x:1@c",
                    ObservedVersion.object(9L, AT, "\"e\""), "nobody installed it"),
                    Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/äöü/\ud83d\ude00 key\twith tab.difypkg", "acme/x:1@c",
                            ObservedVersion.object(9L, AT, "\"e\""), "nobody installed it")))
            .toList();

    @Test
    void aV14LedgerIsCarriedOverByteForByteAndTheNextMergeCountsEveryEntry() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            migrate(db, "14");
            assertEquals("", byteOrderColumns(db), "V14: the database's collation");
            StateStore v14 = migratedTo(db);
            UUID firstRun = UUID.randomUUID();
            merge(v14, firstRun, AT, SCANNED);
            try (Connection c = db.connect()) {
                // Written by another tool (or by hand): an open entry whose key no scan of ours makes, a closed entry of a
                // kind this release does not know, and a run of a previous release staged in flight.
                c.createStatement().execute("INSERT INTO plugin_reconciler.finding_entries (kind, subject, severity, first_seen,"
                        + " last_seen, consecutive_scans, last_run, evidence, tenant_id, plugin_id) VALUES ('endpoint_orphaned',"
                        + " E'row:endpoints/Ärger \\u00df\\tTab', 'warning', '2026-09-01Z', '2026-09-02Z', 2, '" + new UUID(1, 1)
                        + "', '{\"detail\":\"by hand\"}', 'TENANT-Ä', 'Acme/Ü'), ('kind_of_a_later_release', 'custom:Ünknown',"
                        + " 'info', '2026-09-01Z', '2026-09-02Z', 1, '" + new UUID(1, 1) + "', '{}', NULL, NULL)");
                c.createStatement().execute("UPDATE plugin_reconciler.finding_entries SET closed_at = '2026-09-03Z'"
                        + " WHERE kind = 'kind_of_a_later_release'");
                c.createStatement().execute("INSERT INTO plugin_reconciler.scan_findings (run_id, kind, subject, tenant_id, plugin_id,"
                        + " evidence) VALUES ('" + new UUID(9, 9) + "', 'package_orphaned', 'object:plugin_packages/Ä', 'Ä', 'ä', '{}')");
            }
            String entries = rows(db, "plugin_reconciler.finding_entries");
            String view = rows(db, "plugin_reconciler.finding_ledger");
            String staged = rows(db, "plugin_reconciler.scan_findings");
            List<LedgerResource.Entry> api = apiEntries(v14, db.dataSource(), null, null, null);
            List<Finding> planned = planned(db, firstRun);
            assertEquals(SCANNED.size() + 1, api.size());

            StateStore store = store(db); // V15 runs here
            assertEquals("15", single(db, "SELECT max(version::int)::text FROM plugin_reconciler.flyway_schema_history"));
            assertEquals("finding_entries.kind finding_entries.plugin_id finding_entries.subject finding_entries.tenant_id"
                    + " scan_findings.kind scan_findings.plugin_id scan_findings.subject scan_findings.tenant_id", byteOrderColumns(db));
            assertEquals("finding_ledger_open (C C), finding_ledger_open_by_age (C),"
                    + " finding_entries_open_by_tenant (C), finding_entries_open_by_plugin (C)", indexCollations(db));
            assertEquals(entries, rows(db, "plugin_reconciler.finding_entries"), "every entry byte-equal");
            assertEquals(view, rows(db, "plugin_reconciler.finding_ledger"), "every row of the view byte-equal");
            assertEquals(staged, rows(db, "plugin_reconciler.scan_findings"), "the staged rows byte-equal");
            assertEquals(api, apiEntries(store, db.dataSource(), null, null, null), "GET /api/v1/ledger the same, in the same order");
            assertEquals(planned, planned(db, firstRun), "a plan reads the same candidates in the same order");

            // Filters and search as before: a tenant is matched byte for byte, q in any case, non-ASCII letters included.
            assertEquals(List.of("orphaned ÜBER", "orphaned über"), details(apiEntries(store, db.dataSource(), null, null, "üBeR")));
            assertEquals(LOOK_ALIKE_IDS.stream().filter(id -> id.length() % 3 == 0).count(),
                    apiEntries(store, db.dataSource(), "Tenant-Ä", null, null).size());
            assertEquals(List.of("by hand"), details(apiEntries(store, db.dataSource(), "TENANT-Ä", null, null)));
            assertEquals(List.of("by hand"), details(apiEntries(store, db.dataSource(), null, "Acme/Ü", null)));
            assertEquals(LOOK_ALIKE_IDS.size() + 1, apiEntries(store, db.dataSource(), null, null, "TENANT-Ä").size(),
                    "q lowers the tenant in the database's collation: Tenant-Ä, tenant-ä and TENANT-Ä all match");

            // The unique index still holds one open entry per identity, and only the exact bytes are the same identity.
            SQLException duplicate = assertThrows(SQLException.class, () -> {
                try (Connection c = db.connect()) {
                    c.createStatement().execute("INSERT INTO plugin_reconciler.finding_entries (kind, subject, severity, first_seen,"
                            + " first_scan, evidence) VALUES ('category_row_orphaned', 'row:tool_installations/Straße', 'warning', now(), 1,"
                            + " '{}')");
                }
            });
            assertEquals("23505", duplicate.getSQLState(), duplicate.getMessage());

            // The next scan sees every entry again but one, and one new look-alike: each seen entry is counted as itself.
            Finding fullWidth = Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations",
                    "\uff33\uff34\uff32\uff21\uff33\uff33\uff25",
                    null, "acme/ä", "tenant-ä", ObservedVersion.row(AT), "orphaned full width");
            List<Finding> next = new ArrayList<>(SCANNED.subList(1, SCANNED.size()));
            next.add(fullWidth);
            UUID secondRun = UUID.randomUUID();
            LedgerView seen = merge(store, secondRun, AT.plus(Duration.ofDays(1)), next);
            for (Finding f : SCANNED.subList(1, SCANNED.size())) {
                assertEquals(new FindingHistory(AT, 2), seen.historyOf(f), "seen again: " + FindingIdentity.subject(f));
            }
            assertEquals(new FindingHistory(AT.plus(Duration.ofDays(1)), 1), seen.historyOf(fullWidth));
            assertEquals("row:tool_installations/straße",
                    single(db, "SELECT string_agg(subject, ',') FROM plugin_reconciler.finding_entries"
                            + " WHERE closed_at IS NOT NULL AND kind = 'category_row_orphaned'"),
                    "only the one not seen closed");
            assertEquals("0", single(db, "SELECT count(*)::text FROM (SELECT kind, subject FROM plugin_reconciler.finding_entries"
                    + " WHERE closed_at IS NULL GROUP BY 1, 2 HAVING count(*) > 1) d"));
            assertEquals(String.valueOf(next.size()), single(db, "SELECT count(*)::text FROM plugin_reconciler.finding_ledger"
                    + " WHERE closed_at IS NULL AND last_run = '" + secondRun + "'"));
        }
    }

    private static LedgerView merge(StateStore store, UUID run, Instant at, List<Finding> findings) {
        PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
        findings.forEach(update);
        LedgerView view = update.complete(at, findings, Map.of());
        assertNull(update.problem());
        return view;
    }

    /** Every row of a table or view as JSON, in id order (staged rows: in the order of their text): byte for byte. */
    private static String rows(TestDatabase db, String relation) throws Exception {
        String order = relation.endsWith("scan_findings") ? "row_to_json(r)::text COLLATE \"C\"" : "r.id";
        return single(db, "SELECT coalesce(string_agg(row_to_json(r)::text, E'\\n' ORDER BY " + order + "), '') FROM " + relation
                + " r");
    }

    /** The columns of the two ledger tables whose collation is "C", as table.column, sorted. */
    private static String byteOrderColumns(TestDatabase db) throws Exception {
        return single(db,
                "SELECT coalesce(string_agg(c.relname || '.' || a.attname, ' ' ORDER BY c.relname || '.' || a.attname), '') FROM pg_attribute a"
                        + " JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " JOIN pg_collation l ON l.oid = a.attcollation WHERE n.nspname = 'plugin_reconciler'"
                        + " AND c.relname IN ('finding_entries', 'scan_findings') AND l.collname = 'C' AND NOT a.attisdropped");
    }

    /** The collation of each key column of the open entries' text indexes ("default" for the database's, "-" for none). */
    private static String indexCollations(TestDatabase db) throws Exception {
        return single(db, "SELECT string_agg(i.relname || ' (' || (SELECT string_agg(coalesce(l.collname, '-'), ' ' ORDER BY k.n)"
                + " FROM unnest(x.indcollation::oid[]) WITH ORDINALITY AS k(coll, n) LEFT JOIN pg_collation l ON l.oid = k.coll) || ')',"
                + " ', ' ORDER BY array_position(ARRAY['finding_ledger_open', 'finding_ledger_open_by_age', 'finding_entries_open_by_tenant',"
                + " 'finding_entries_open_by_plugin']::name[], i.relname)) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                + " WHERE x.indrelid = 'plugin_reconciler.finding_entries'::regclass AND i.relname IN ('finding_ledger_open',"
                + " 'finding_ledger_open_by_age', 'finding_entries_open_by_tenant', 'finding_entries_open_by_plugin')")
                .replace(" -", "").replace("(-", "(");
    }

    private static List<String> details(List<LedgerResource.Entry> entries) {
        return entries.stream().map(LedgerResource.Entry::detail).sorted().toList();
    }

    private static List<LedgerResource.Entry> apiEntries(StateStore store, javax.sql.DataSource dataSource, String tenant,
            String plugin, String q) throws Exception {
        LedgerResource resource = new LedgerResource();
        inject(resource, "store", store);
        inject(resource, "dataSource", dataSource);
        inject(resource, "mapper", new ObjectMapper());
        return resource.page(null, null, tenant, plugin, q, null, "100", null, null).findings();
    }

    private static List<Finding> planned(TestDatabase db, UUID run) throws Exception {
        LedgerCandidates ledger = new LedgerCandidates(db.dataSource(), "plugin_reconciler.finding_entries",
                "plugin_reconciler.ledger_scans");
        return ledger.read(run.toString(), List.of(FindingKind.CATEGORY_ROW_ORPHANED, FindingKind.PACKAGE_ORPHANED), 1, 100,
                candidates -> {
                    List<Finding> read = new ArrayList<>();
                    candidates.forEachRemaining(candidate -> read.add(candidate.finding()));
                    return read;
                });
    }

    private static void inject(Object target, String field, Object value) throws Exception {
        Field f = target.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(target, value);
    }

    /** A state store on the schema as a test migrated it (the previous release's), without migrating it further. */
    private static StateStore migratedTo(TestDatabase db) throws Exception {
        StateStore store = new StateStore();
        store.dataSource = db.dataSource();
        store.config = StateStoreTest.config(SCHEMA);
        store.role = ProcessMode.SERVICE;
        inject(store, "mode", StateStore.Mode.PERSISTED);
        inject(store, "settled", true);
        return store;
    }

    private static StateStore store(TestDatabase db) {
        StateStore store = new StateStore();
        store.dataSource = db.dataSource();
        store.config = StateStoreTest.config(SCHEMA);
        store.role = ProcessMode.SERVICE;
        assertEquals(StateStore.Mode.PERSISTED, store.ensure(), store.reason());
        return store;
    }

    private static void migrate(TestDatabase db, String target) {
        new FluentConfiguration(LedgerByteOrderTest.class.getClassLoader()).dataSource(db.dataSource()).schemas(SCHEMA)
                .defaultSchema(SCHEMA).createSchemas(true).table("flyway_schema_history").resourceProvider(new StateMigrations())
                .locations(StateMigrations.FOLDER).target(target).load().migrate();
    }

    private static String single(TestDatabase db, String sql) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            assertTrue(rs.next(), "no row: " + sql);
            return rs.getString(1);
        }
    }
}
