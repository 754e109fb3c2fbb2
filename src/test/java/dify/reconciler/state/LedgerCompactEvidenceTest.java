package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.sql.DataSource;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;

/**
 * V13's compact evidence is read back as the full finding by every reader: {@code GET /api/v1/ledger} (its entries),
 * plans ({@link LedgerCandidates}) and the {@code finding_ledger} view's {@code evidence} (the V12 shape), for a
 * finding with every evidence field set (and a row and a key, which the subject alone cannot spell), one with none,
 * and the benchmark's row finding; and a ledger V12 wrote is carried over by V13 with the same API output.
 */
class LedgerCompactEvidenceTest {

    private static final String SCHEMA = "plugin_reconciler";
    private static final Instant AT = Instant.parse("2026-10-01T00:00:00Z");

    /** Every field set; a row and a key; bytes other than the observed size; characters JSON and COPY escape. */
    static final Finding EVERY_FIELD = new Finding(FindingKind.INSTALLED_OBJECT_ORPHANED, "plugin_installations", "row/1 object:x",
            "plugin/t1/odd\tkey\n\"quoted\"\\.difypkg", "acme/every:1.0.0@" + "b".repeat(64), "acme/every", "tenant-1", 7L,
            "detail with \"quotes\", a tab\t, a line\nbreak and \u00fcnicode",
            new ObservedVersion(AT, 42L, AT.plusSeconds(1), "\"etag\\1\""));
    /** No field but the kind and the detail. */
    static final Finding NO_FIELD = new Finding(FindingKind.REFERS_DRIFT, null, null, null, null, null, null, null, "", null);
    /** Shaped like the benchmark's findings. */
    static final Finding BENCHMARK = LedgerMergeBench.finding(3, AT);
    /** An object finding: its bytes are its observed size. */
    static final Finding OBJECT = Finding.object(FindingKind.PACKAGE_ORPHANED, "plugin_packages/acme/x.difypkg", "acme/x:1@c",
            ObservedVersion.object(9L, AT, "\"e\""), "nobody installed it");
    /** Observed with no field set, bytes null although the finding is about an object. */
    static final Finding EMPTY_OBSERVED = new Finding(FindingKind.PACKAGE_ORPHANED, null, null, "plugin_packages/y", null, null,
            null, null, "d", new ObservedVersion(null, null, null, null));

    static final List<Finding> ALL = List.of(EVERY_FIELD, NO_FIELD, BENCHMARK, OBJECT, EMPTY_OBSERVED);

    @Test
    void everyReaderReadsBackTheFindingAsItWasScanned() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = store(db);
            UUID run = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
            ALL.forEach(update);
            update.complete(AT, ALL, Map.of());
            assertNull(update.problem());

            assertEquals(expectedEntries(), apiEntries(store, db.dataSource()), "GET /api/v1/ledger");
            assertEquals(sorted(ALL), sorted(planned(db, run)), "plans read the findings as scanned");
            for (Finding f : ALL) {
                assertEquals(single(db, "SELECT jsonb_strip_nulls(?::jsonb)::text", v12Evidence(f)),
                        single(db,
                                "SELECT jsonb_strip_nulls(evidence)::text FROM plugin_reconciler.finding_ledger WHERE kind = ? AND subject = ?",
                                f.kind().label(), FindingIdentity.subject(f)),
                        "the view's evidence is V12's for " + f);
            }
            // The benchmark's finding: kind, severity, row, id and the null fields are not stored twice.
            assertEquals("{\"detail\":\"" + BENCHMARK.detail() + "\",\"observed\":{\"changedAt\":\"2026-10-01T00:00:00Z\"}}",
                    single(db, "SELECT evidence FROM plugin_reconciler.finding_entries WHERE subject = ?",
                            FindingIdentity.subject(BENCHMARK)));
            // Filtered on the new columns, and searched.
            assertEquals(List.of("tenant-1"), apiTenants(store, db.dataSource(), "tenant-1", null, null));
            assertEquals(List.of("tenant-1"), apiTenants(store, db.dataSource(), null, "acme/every", null));
            assertEquals(List.of("tenant-1"), apiTenants(store, db.dataSource(), null, null, "ROW/1 OBJECT"));
            assertEquals(List.of("p3"), apiTenants(store, db.dataSource(), null, null, new UUID(7, 3).toString()));
        }
    }

    @Test
    void aLedgerWrittenByV12IsCarriedOverWithTheSameApiOutput() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            migrate(db, "12");
            UUID earlierRun = new UUID(1, 1);
            try (Connection c = db.connect()) {
                c.createStatement().execute("UPDATE plugin_reconciler.ledger_scans SET scans = 4, last_run = '" + earlierRun
                        + "', last_seen = '2026-10-02T00:00:00Z'");
                for (Finding f : ALL) {
                    // As V12's merge left an entry it counted: its first scan, no counters of its own.
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO plugin_reconciler.finding_entries (kind, subject,"
                            + " severity, first_seen, first_scan, evidence) VALUES (?, ?, ?, ?, 2, ?::jsonb)")) {
                        ps.setString(1, f.kind().label());
                        ps.setString(2, FindingIdentity.subject(f));
                        ps.setString(3, f.severity().label());
                        ps.setTimestamp(4, Timestamp.from(AT));
                        ps.setString(5, v12Evidence(f));
                        ps.executeUpdate();
                    }
                }
            }
            StateStore store = store(db); // V13 runs here
            List<LedgerResource.Entry> expected = expectedEntries().stream()
                    .map(e -> withHistory(e, "2026-10-02T00:00:00Z", 3)).toList();
            assertEquals(expected, apiEntries(store, db.dataSource()), "the same API output after V13");
            assertEquals(sorted(ALL), sorted(planned(db, earlierRun)), "plans read the same findings after V13");

            // The next scan sees them all again: counted, rewritten once in the compact form, read back the same.
            UUID run = UUID.randomUUID();
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
            ALL.forEach(update);
            Instant seenAt = AT.plus(Duration.ofDays(2));
            update.complete(seenAt, ALL, Map.of());
            assertNull(update.problem());
            assertEquals(expectedEntries().stream().map(e -> withHistory(e, seenAt.toString(), 4)).toList(),
                    apiEntries(store, db.dataSource()), "the API output after the first merge on V13");
            assertEquals(sorted(ALL), sorted(planned(db, run)));
            assertEquals(LedgerEvidence.encode(BENCHMARK),
                    single(db, "SELECT evidence FROM plugin_reconciler.finding_entries WHERE subject = ?",
                            FindingIdentity.subject(BENCHMARK)));
        }
    }

    /**
     * V14 (staging dictionary): rows a V13 scan staged as text before the upgrade (a scan in flight during a rolling
     * upgrade) are merged after V14 into the same API output, and a ledger V13 wrote is read the same.
     */
    @Test
    void rowsStagedAsTextByV13AreMergedAfterV14WithTheSameApiOutput() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            migrate(db, "13");
            UUID run = UUID.randomUUID();
            try (Connection c = db.connect()) {
                for (Finding f : ALL) {
                    String subject = FindingIdentity.subject(f);
                    try (PreparedStatement ps = c.prepareStatement("INSERT INTO plugin_reconciler.scan_findings (run_id, kind, subject,"
                            + " plugin_unique_identifier, plugin_id, tenant_id, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                        ps.setObject(1, run);
                        ps.setString(2, f.kind().label());
                        ps.setString(3, subject);
                        ps.setString(4, f.pluginUniqueIdentifier());
                        ps.setString(5, f.pluginId());
                        ps.setString(6, f.tenantId());
                        ps.setString(7, LedgerEvidence.encode(f));
                        ps.executeUpdate();
                    }
                }
            }
            StateStore store = store(db); // V14 runs here
            assertEquals("true", single(db, "SELECT bool_or(version = '14')::text FROM plugin_reconciler.flyway_schema_history"));
            PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
            update.complete(AT, ALL, Map.of());
            assertNull(update.problem());
            assertEquals(expectedEntries(), apiEntries(store, db.dataSource()), "GET /api/v1/ledger after V14");
            assertEquals(sorted(ALL), sorted(planned(db, run)), "plans read the findings as scanned");
        }
    }

    /**
     * More distinct strings than the staging dictionary holds: the first ones are staged as codes, the rest as text, and
     * every entry reads back with its own values, on the scan that opens them and on the next one, which changes all.
     */
    @Test
    void valuesPastTheDictionarysRoomAreStagedAsTextAndReadBackTheSame() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = store(db);
            int n = StagingDictionary.MAX_ENTRIES + 50;
            for (String tenant : List.of("tenant-", "moved-")) {
                List<Finding> findings = new ArrayList<>();
                Map<String, String> expected = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    Finding f = Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, "tool_installations", new UUID(5, i).toString(),
                            "acme/p" + (i % 3) + ":1@x", "acme/p" + (i % 3), tenant + i, ObservedVersion.row(AT), "detail " + (i % 2));
                    findings.add(f);
                    expected.put(FindingIdentity.subject(f),
                            f.pluginUniqueIdentifier() + "|" + f.pluginId() + "|" + f.tenantId() + "|" + f.detail());
                }
                merge(store, UUID.randomUUID(), AT, findings, java.util.Set.of());
                Map<String, String> read = new LinkedHashMap<>();
                try (Connection c = db.connect();
                        ResultSet rs = c.createStatement().executeQuery("SELECT subject,"
                                + " plugin_unique_identifier || '|' || plugin_id || '|' || tenant_id || '|' || (evidence->>'detail')"
                                + " FROM plugin_reconciler.finding_ledger WHERE closed_at IS NULL ORDER BY id")) {
                    while (rs.next()) {
                        read.put(rs.getString(1), rs.getString(2));
                    }
                }
                assertEquals(expected, read, "entries staged with tenants " + tenant + "*");
            }
        }
    }

    /**
     * A kind whose check did not run keeps its entries open in the same statement that closes the others: written
     * down with the counts they had (not this run), and not written again by the next such scan.
     */
    @Test
    void aKindThatDidNotRunStaysOpenWhileOthersCloseInOneStatement() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = store(db);
            UUID first = UUID.randomUUID();
            merge(store, first, AT, List.of(OBJECT, BENCHMARK), java.util.Set.of());
            UUID second = UUID.randomUUID();
            merge(store, second, AT.plusSeconds(60), List.of(), java.util.Set.of(FindingKind.PACKAGE_ORPHANED));
            assertEquals("open|1|" + first, single(db, "SELECT CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END || '|'"
                    + " || consecutive_scans || '|' || last_run FROM plugin_reconciler.finding_ledger WHERE kind = 'package_orphaned'"));
            assertEquals("closed", single(db, "SELECT CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END"
                    + " FROM plugin_reconciler.finding_ledger WHERE kind = 'category_row_orphaned'"));
            String version = single(db, "SELECT xmin::text FROM plugin_reconciler.finding_entries WHERE kind = 'package_orphaned'");
            merge(store, UUID.randomUUID(), AT.plusSeconds(120), List.of(), java.util.Set.of(FindingKind.PACKAGE_ORPHANED));
            assertEquals(version, single(db, "SELECT xmin::text FROM plugin_reconciler.finding_entries WHERE kind = 'package_orphaned'"),
                    "already written down: not rewritten");
        }
    }

    /**
     * A first scan's merge (nothing open: a plain insert) leaves statistics behind: the next merge, often the next scan
     * before autovacuum has looked, otherwise plans its joins for an empty table (1,000,000 findings: 105 s instead of
     * 15 s, docs/benchmark.md). ANALYZE sets {@code reltuples}; an insert alone leaves it at -1.
     */
    @Test
    void aFirstScansMergeLeavesStatisticsForTheNext() throws Exception {
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            StateStore store = store(db);
            merge(store, UUID.randomUUID(), AT, List.of(OBJECT, BENCHMARK), java.util.Set.of());
            assertEquals("2",
                    single(db, "SELECT reltuples::bigint::text FROM pg_class WHERE oid = 'plugin_reconciler.finding_entries'::regclass"));
        }
    }

    private static void merge(StateStore store, UUID run, Instant at, List<Finding> findings, java.util.Set<FindingKind> kept) {
        PostgresLedgerUpdate update = new PostgresLedgerUpdate(store, run, Duration.ofDays(30));
        findings.forEach(update);
        update.keepOpen(kept);
        update.complete(at, findings, Map.of());
        assertNull(update.problem());
    }

    /** The evidence V12's scan wrote (its encoder, kept here as it was). */
    static String v12Evidence(Finding f) throws Exception {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("kind", f.kind().label());
        e.put("severity", f.severity().label());
        e.put("table", f.table());
        e.put("id", f.id());
        e.put("key", f.key());
        e.put("pluginUniqueIdentifier", f.pluginUniqueIdentifier());
        e.put("pluginId", f.pluginId());
        e.put("tenantId", f.tenantId());
        e.put("bytes", f.bytes());
        e.put("detail", f.detail());
        if (f.observed() != null) {
            Map<String, Object> observed = new LinkedHashMap<>();
            observed.put("changedAt", f.observed().changedAt() == null ? null : f.observed().changedAt().toString());
            observed.put("size", f.observed().size());
            observed.put("lastModified", f.observed().lastModified() == null ? null : f.observed().lastModified().toString());
            observed.put("etag", f.observed().etag());
            e.put("observed", observed);
        }
        return new ObjectMapper().writeValueAsString(e);
    }

    /** What the API answered for these findings before V13 (from the full evidence), one scan after {@link #AT}. */
    private static List<LedgerResource.Entry> expectedEntries() {
        return ALL.stream().sorted(Comparator.comparing((Finding f) -> -f.severity().ordinal()).thenComparing(f -> f.kind().label()))
                .map(f -> new LedgerResource.Entry(f.kind().label(), f.severity().label(), f.table(), f.id(), f.key(),
                        f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(), f.bytes(), f.detail(), AT.toString(), AT.toString(), 1))
                .toList();
    }

    private static LedgerResource.Entry withHistory(LedgerResource.Entry e, String lastSeen, int scans) {
        return new LedgerResource.Entry(e.kind(), e.severity(), e.table(), e.id(), e.key(), e.pluginUniqueIdentifier(), e.pluginId(),
                e.tenantId(), e.bytes(), e.detail(), e.firstSeen(), lastSeen, scans);
    }

    private static List<LedgerResource.Entry> apiEntries(StateStore store, DataSource dataSource) throws Exception {
        return resource(store, dataSource).page(null, null, null, null, null, null, "100", null, null).findings();
    }

    private static List<String> apiTenants(StateStore store, DataSource dataSource, String tenant, String plugin, String q)
            throws Exception {
        return resource(store, dataSource).page(null, null, tenant, plugin, q, null, "100", null, null).findings().stream()
                .map(LedgerResource.Entry::tenantId).toList();
    }

    /** The resource as Quarkus injects it, on this database (its fields are the injection points). */
    private static LedgerResource resource(StateStore store, DataSource dataSource) throws Exception {
        LedgerResource resource = new LedgerResource();
        inject(resource, "store", store);
        inject(resource, "dataSource", dataSource);
        inject(resource, "mapper", new ObjectMapper());
        return resource;
    }

    private static void inject(Object target, String field, Object value) throws Exception {
        Field f = target.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(target, value);
    }

    private static List<Finding> planned(TestDatabase db, UUID run) throws Exception {
        LedgerCandidates ledger = new LedgerCandidates(db.dataSource(), "plugin_reconciler.finding_entries",
                "plugin_reconciler.ledger_scans");
        List<FindingKind> kinds = ALL.stream().map(Finding::kind).distinct().toList();
        return ledger.read(run.toString(), kinds, 1, 100, candidates -> {
            List<Finding> read = new ArrayList<>();
            candidates.forEachRemaining(candidate -> read.add(candidate.finding()));
            return read;
        });
    }

    private static List<Finding> sorted(List<Finding> findings) {
        return findings.stream().sorted(Comparator.comparing(FindingIdentity::of)).toList();
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
        new FluentConfiguration(LedgerCompactEvidenceTest.class.getClassLoader()).dataSource(db.dataSource()).schemas(SCHEMA)
                .defaultSchema(SCHEMA).createSchemas(true).table("flyway_schema_history").resourceProvider(new StateMigrations())
                .locations(StateMigrations.FOLDER).target(target).load().migrate();
    }

    private static String single(TestDatabase db, String sql, Object... params) throws Exception {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                assertTrue(rs.next(), "no row: " + sql);
                return rs.getString(1);
            }
        }
    }
}
