package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.jboss.logging.Logger;

/**
 * A scan's ledger update in our schema. Findings are staged in {@code scan_findings} with COPY while the scan runs
 * ({@link LedgerStaging}); a successful scan merges them into {@code finding_ledger} in one transaction of set operations (an update joined
 * with the staged rows, an insert of the new ones, closing what this run did not touch), which touches only our
 * tables.
 */
final class PostgresLedgerUpdate implements LedgerUpdate {

    private static final Logger LOG = Logger.getLogger(PostgresLedgerUpdate.class);

    /**
     * The merge's work_mem (its transaction only): the hash of a million staged identities (about 100 bytes each)
     * fits, so the joins run in one pass instead of spilling batches to disk.
     */
    static final String MERGE_WORK_MEM = "128MB";

    private final StateStore store;
    private final UUID runId;
    private final Duration retention;
    private final LedgerStaging staging;
    /** The scan's own time in the ledger while it runs: encoding, and waiting for COPYs (at the end included). */
    private long stagingNanos;
    private String problem;
    /** Labels of the kinds whose check did not run: their entries are not closed. */
    private final Set<String> keptOpen = new TreeSet<>();

    PostgresLedgerUpdate(StateStore store, UUID runId, Duration retention) {
        this.store = store;
        this.runId = runId;
        this.retention = retention;
        this.staging = new LedgerStaging(store, runId);
    }

    @Override
    public void accept(Finding finding) {
        if (problem != null) {
            return;
        }
        long t0 = System.nanoTime();
        try {
            staging.stage(finding);
        } catch (ChunkHandOff.SendFailure e) {
            copyFailed(e);
        }
        stagingNanos += System.nanoTime() - t0;
    }

    /**
     * A staged row's kind label: its code looked up in the bound array of labels ({@link FindingKind#values()} order),
     * or the text a previous release staged.
     */
    private static final String STAGED_KIND = "coalesce((?::text[])[s.kind_code], s.kind)";

    /**
     * The staged rows of this run as the merge reads them, their codes replaced by the values: the dictionary is bound
     * once per coded column, then the kinds, then the run ({@link #stagedParameters}). A row staged as text by the
     * previous release (no codes) reads as it was written. No WITH inside: a subquery with one is planned on its own.
     * <p>
     * Each dictionary is joined as {@code SELECT DISTINCT ON (code)}: its codes are unique anyway (they are the
     * ordinality), but the planner only knows it from the DISTINCT. Joined as a bare {@code unnest}, it took each join
     * to multiply the rows by about 20 (4,096 dictionary rows, 200 assumed distinct codes), estimated 175 billion rows
     * for a million staged ones, and sorted the million rows to disk for a merge join, once per coded column: at
     * 1,000,000 findings that was 60 to 80 % of the close and seen-again statements (EXPLAIN ANALYZE in
     * docs/benchmark.md). Unique, each join is a hash of the dictionary probed once per row, and a statement that does
     * not read a dictionary's value drops its join.
     */
    String resolvedStaged() {
        String dict = " LEFT JOIN (SELECT DISTINCT ON (code) code, value FROM unnest(?::text[]) WITH ORDINALITY AS u(value, code)"
                + " ORDER BY code) AS %1$s ON %1$s.code = s.%2$s_code";
        return "(SELECT " + STAGED_KIND + " AS kind, s.subject,"
                + " coalesce(di.value, s.plugin_unique_identifier) AS plugin_unique_identifier, coalesce(dp.value, s.plugin_id) AS plugin_id,"
                + " coalesce(dt.value, s.tenant_id) AS tenant_id, coalesce(de.value, s.evidence) AS evidence FROM "
                + store.table("scan_findings") + " s" + String.format(Locale.ROOT, dict, "di", "identifier")
                + String.format(Locale.ROOT, dict, "dp", "plugin") + String.format(Locale.ROOT, dict, "dt", "tenant")
                + String.format(Locale.ROOT, dict, "de", "evidence") + " WHERE s.run_id = ?)";
    }

    /**
     * The identities (kind, subject) of this run's staged rows, without the dictionaries: what the close needs. The
     * kinds, then the run, are bound. (Through {@link #resolvedStaged} the planner kept the four dictionary joins
     * under the anti-join, 1.7 s of a loaded machine's 10.4 s at 1,000,000 findings.)
     */
    private String stagedIdentities() {
        return "(SELECT " + STAGED_KIND + " AS kind, s.subject FROM " + store.table("scan_findings")
                + " s WHERE s.run_id = ?)";
    }

    /** The parameters of {@link #resolvedStaged}, in order. */
    private List<Object> stagedParameters(String[] kinds, String[] values) {
        return Arrays.asList(kinds, values, values, values, values, runId);
    }

    /** The parameters of {@link #resolvedStaged} as the merge binds them now (a test EXPLAINs it). */
    List<Object> stagedParameters() {
        return stagedParameters(Arrays.stream(FindingKind.values()).map(FindingKind::label).toArray(String[]::new),
                staging.dictionary().values());
    }

    /**
     * Waits for the chunk in flight and sends the last one: every finding of the scan is staged, or {@link #problem}
     * says why not.
     */
    void flush() {
        if (problem != null) {
            return;
        }
        try {
            staging.finish();
        } catch (ChunkHandOff.SendFailure e) {
            copyFailed(e);
        }
        // The log line's first step: how much of staging the COPYs took, and how much of that the scan waited for.
        steps.append(steps.length() == 0 ? "" : ", ").append(staging.summary());
    }

    private void copyFailed(ChunkHandOff.SendFailure e) {
        fail("writing findings to " + store.table("scan_findings") + " failed: " + e.getCause().getMessage(), e.getCause());
    }

    @Override
    public void keepOpen(Set<FindingKind> kinds) {
        kinds.forEach(k -> keptOpen.add(k.label()));
    }

    @Override
    public LedgerView complete(Instant seenAt, List<Finding> reported, Map<FindingKind, Long> counts) {
        long t0 = System.nanoTime();
        flush();
        stagingNanos += System.nanoTime() - t0;
        if (problem != null) {
            abandon();
            return LedgerView.EMPTY;
        }
        long merging = System.nanoTime();
        Timestamp at = Timestamp.from(seenAt);
        String entries = store.table("finding_entries");
        String scanned = store.table("scan_findings");
        try (Connection c = store.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                try (var st = c.createStatement()) {
                    // Only our tables are touched, but keep every lock short all the same.
                    st.execute("SET LOCAL lock_timeout = '10s'");
                    st.execute("SET LOCAL statement_timeout = '10min'");
                    // The joins below hash a million staged identities: in memory, not in batches spilled to disk.
                    st.execute("SET LOCAL work_mem = '" + MERGE_WORK_MEM + "'");
                    // A server built with LLVM (distribution packages; not the tests' binaries) compiles each statement
                    // costed above jit_above_cost: at a million findings the three joins of a second scan, for no
                    // faster execution (docs/benchmark.md).
                    st.execute("SET LOCAL jit = off");
                    // Our own table and our own data: if the server crashes in the moment after this commit, the merge is
                    // lost as a whole (never half applied) and the next scan stages and merges its findings again.
                    st.execute("SET LOCAL synchronous_commit = off");
                    // The staged rows were just copied: without statistics the planner takes them for a handful
                    // and joins a million of them by index probes instead of hashing them (V12 keeps the sample small).
                    step("analyze", () -> st.execute("ANALYZE " + scanned));
                }
                // One merge at a time (replicas): the counter row is locked until this one commits.
                long scans;
                Object lastRun;
                Timestamp lastSeen;
                try (PreparedStatement ps = c.prepareStatement("SELECT scans, last_run, last_seen FROM " + store.table("ledger_scans")
                        + " FOR UPDATE"); ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException(store.table("ledger_scans") + " has no row");
                    }
                    scans = rs.getLong(1);
                    lastRun = rs.getObject(2);
                    lastSeen = rs.getTimestamp(3);
                }
                long scan = scans + 1;
                String[] keptKinds = keptOpen.toArray(String[]::new);
                // The severity of each kind (not staged: it follows from the kind).
                String[] kinds = Arrays.stream(FindingKind.values()).map(FindingKind::label).toArray(String[]::new);
                String[] severities = Arrays.stream(FindingKind.values()).map(k -> k.severity().label()).toArray(String[]::new);
                String[] values = staging.dictionary().values();
                if (anyOpen(c, entries)) {
                    merge(c, entries, keptKinds, kinds, severities, values, at, lastSeen, lastRun, scans, scan);
                } else {
                    openAll(c, entries, parameters(Arrays.asList(severities, kinds, at, scan), stagedParameters(kinds, values)));
                    // The entries just went from none open to every finding: without fresh statistics the next merge
                    // (often the next scan, before autovacuum has looked) plans its joins for an empty table.
                    try (var st = c.createStatement()) {
                        step("analyze entries", () -> st.execute("ANALYZE " + entries));
                    }
                }
                update(c, "expired", "DELETE FROM " + entries + " WHERE closed_at < ?", Timestamp.from(seenAt.minus(retention)));
                update(c, "counted", "UPDATE " + store.table("ledger_scans") + " SET scans = ?, last_run = ?, last_seen = ?", scan,
                        runId, at);
                clearStaged(c, scanned);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
            LedgerView view = new LedgerView(oldestOpen(c, store), history(c, reported));
            LOG.infof("ledger: %d findings staged in %.3f s and merged in %.3f s (run %s; %s)", staging.staged(), stagingNanos / 1e9,
                    (System.nanoTime() - merging) / 1e9, runId, steps);
            return view;
        } catch (SQLException e) {
            fail("merging the scan into " + store.table("finding_ledger") + " failed: " + e.getMessage(), e);
            abandon();
            return LedgerView.EMPTY;
        }
    }

    /** A unique index was violated (PostgreSQL's SQLSTATE). */
    private static final String UNIQUE_VIOLATION = "23505";

    /**
     * Nothing open (a first scan, or every finding was fixed): every staged finding opens an entry, and there is nothing
     * to join them with. Inserted without ON CONFLICT: its arbiter check descends the unique index once more per row,
     * besides the insertion's own descent, a quarter of the insert's CPU at a million entries (docs/benchmark.md). A
     * finding staged twice by one scan (which no detector does, but nothing forbids) violates the unique index: the
     * insert is undone to a savepoint, inside the merge's one transaction, and done again with ON CONFLICT DO NOTHING,
     * which inserts it once.
     */
    private void openAll(Connection c, String entries, Object[] params) throws SQLException {
        String insert = "INSERT INTO " + entries + " (kind, subject, severity, first_seen, first_scan, evidence,"
                + " plugin_unique_identifier, plugin_id, tenant_id) SELECT s.kind, s.subject, " + SEVERITY + ", ?, ?,"
                + " s.evidence, s.plugin_unique_identifier, s.plugin_id, s.tenant_id FROM " + resolvedStaged() + " s";
        Savepoint before = c.setSavepoint();
        try {
            update(c, "opened", insert, params);
            c.releaseSavepoint(before);
        } catch (SQLException e) {
            if (!UNIQUE_VIOLATION.equals(e.getSQLState())) {
                throw e;
            }
            c.rollback(before);
            update(c, "opened (a finding staged twice)", insert + " ON CONFLICT (kind, subject) WHERE closed_at IS NULL DO NOTHING",
                    params);
        }
    }

    private static Object[] parameters(List<Object> first, List<Object> then) {
        List<Object> all = new ArrayList<>(first);
        all.addAll(then);
        return all.toArray();
    }

    /** The severity of a staged row's kind: the severities, then the kinds, are bound. */
    private static final String SEVERITY = "(?::text[])[array_position(?::text[], s.kind)]";

    private static boolean anyOpen(Connection c, String entries) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + entries + " WHERE closed_at IS NULL)");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /**
     * Merges the staged rows into the open entries with three hash joins (V14 tried one pass, a full join kept to the
     * differences: it measured no faster, see docs/benchmark.md). An entry seen again unchanged is not written:
     * ledger_scans counts it.
     * <ul>
     * <li>Not seen: closed (kept for history until the retention), its counters written down. A kind whose check did
     * not run keeps its entries open, but this scan did not see them either: their counters are written down as they
     * were (so last_run is not this run and no plan acts on them meanwhile), once.
     * <li>Seen again and changed: the new evidence and columns; an entry from before V12 starts being counted (its
     * consecutive scans so far plus this one).
     * <li>New: opened; a finding staged twice by one scan is inserted once (the second conflicts and is skipped).
     * </ul>
     */
    private void merge(Connection c, String entries, String[] keptKinds, String[] kinds, String[] severities, String[] values,
            Timestamp at, Timestamp lastSeen, Object lastRun, long scans, long scan) throws SQLException {
        String staged = resolvedStaged();
        List<Object> stagedParameters = stagedParameters(kinds, values);
        update(c, "closed or kept open", "UPDATE " + entries + " l SET closed_at = CASE WHEN l.kind = ANY (?::text[]) THEN NULL"
                + " ELSE ?::timestamptz END, last_seen = coalesce(l.last_seen, ?), last_run = coalesce(l.last_run, ?),"
                + " consecutive_scans = coalesce(l.consecutive_scans, (? - l.first_scan + 1)::integer)"
                + " WHERE l.closed_at IS NULL AND (l.kind <> ALL (?::text[]) OR l.last_seen IS NULL) AND NOT EXISTS (SELECT 1 FROM "
                + stagedIdentities() + " s WHERE s.kind = l.kind AND s.subject = l.subject)",
                keptKinds, at, lastSeen, lastRun, scans, keptKinds, kinds, runId);
        update(c, "seen again", "UPDATE " + entries + " l SET severity = " + SEVERITY + ", evidence = s.evidence,"
                + " plugin_unique_identifier = s.plugin_unique_identifier, plugin_id = s.plugin_id, tenant_id = s.tenant_id,"
                + " first_scan = CASE WHEN l.consecutive_scans IS NULL THEN l.first_scan ELSE ? - l.consecutive_scans END,"
                + " last_seen = NULL, last_run = NULL, consecutive_scans = NULL FROM " + staged + " s"
                + " WHERE l.closed_at IS NULL AND l.kind = s.kind AND l.subject = s.subject"
                + " AND (l.consecutive_scans IS NOT NULL OR l.evidence <> s.evidence OR l.severity <> " + SEVERITY
                + " OR l.plugin_unique_identifier IS DISTINCT FROM s.plugin_unique_identifier"
                + " OR l.plugin_id IS DISTINCT FROM s.plugin_id OR l.tenant_id IS DISTINCT FROM s.tenant_id)",
                parameters(Arrays.asList(parameters(Arrays.asList(severities, kinds, scan), stagedParameters)),
                        Arrays.asList(severities, kinds)));
        update(c, "opened", "INSERT INTO " + entries + " (kind, subject, severity, first_seen, first_scan, evidence,"
                + " plugin_unique_identifier, plugin_id, tenant_id) SELECT s.kind, s.subject, " + SEVERITY + ", ?, ?, s.evidence,"
                + " s.plugin_unique_identifier, s.plugin_id, s.tenant_id FROM " + staged + " s"
                + " WHERE NOT EXISTS (SELECT 1 FROM " + entries + " l WHERE l.closed_at IS NULL AND l.kind = s.kind"
                + " AND l.subject = s.subject) ON CONFLICT (kind, subject) WHERE closed_at IS NULL DO NOTHING",
                parameters(Arrays.asList(severities, kinds, at, scan), stagedParameters));
    }

    /**
     * Removes this run's staged rows. When no other run has rows staged (one scan at a time, the usual case), the
     * table is emptied with TRUNCATE: instant, and it leaves no million dead rows behind for VACUUM (a DELETE did, and
     * each scan's COPY then grew the table further). TRUNCATE's lock waits for no one: if another run is copying,
     * this run's rows are deleted instead.
     */
    private void clearStaged(Connection c, String scanned) throws SQLException {
        var savepoint = c.setSavepoint();
        try (var st = c.createStatement()) {
            st.execute("SET LOCAL lock_timeout = '100ms'");
            st.execute("LOCK TABLE " + scanned + " IN ACCESS EXCLUSIVE MODE");
            boolean others;
            try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM " + scanned + " WHERE run_id <> ?)")) {
                ps.setObject(1, runId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    others = rs.getBoolean(1);
                }
            }
            if (!others) {
                step("truncate staged", () -> st.execute("TRUNCATE " + scanned));
            }
            st.execute("SET LOCAL lock_timeout = '10s'");
            if (!others) {
                c.releaseSavepoint(savepoint);
                return;
            }
        } catch (SQLException e) {
            // Another run holds the table (its COPY): leave it alone.
            c.rollback(savepoint);
        }
        update(c, "staged deleted", "DELETE FROM " + scanned + " WHERE run_id = ?", runId);
    }

    /** Per-step timings of the merge, for the log line. */
    private final StringBuilder steps = new StringBuilder();

    @FunctionalInterface
    private interface SqlStep {
        void run() throws SQLException;
    }

    private void step(String name, SqlStep sql) throws SQLException {
        long t0 = System.nanoTime();
        sql.run();
        steps.append(steps.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.3f s", name, (System.nanoTime() - t0) / 1e9));
    }

    private void update(Connection c, String name, String sql, Object... params) throws SQLException {
        long t0 = System.nanoTime();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            int rows = ps.executeUpdate();
            steps.append(steps.length() == 0 ? "" : ", ")
                    .append(String.format(Locale.ROOT, "%s %d in %.3f s", name, rows, (System.nanoTime() - t0) / 1e9));
        }
    }

    /** The history of the findings the report lists (at most the report cap), in one query. */
    private Map<String, FindingHistory> history(Connection c, List<Finding> reported) throws SQLException {
        Map<String, FindingHistory> history = new HashMap<>();
        if (reported.isEmpty()) {
            return history;
        }
        String[] kinds = reported.stream().map(f -> f.kind().label()).toArray(String[]::new);
        String[] subjects = reported.stream().map(FindingIdentity::subject).toArray(String[]::new);
        String sql = "SELECT l.kind, l.subject, l.first_seen, l.consecutive_scans FROM " + store.table("finding_ledger")
                + " l JOIN unnest(?::text[], ?::text[]) AS r(kind, subject) ON l.kind = r.kind AND l.subject = r.subject"
                + " WHERE l.closed_at IS NULL";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", kinds));
            ps.setArray(2, c.createArrayOf("text", subjects));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    history.put(rs.getString(1) + ' ' + rs.getString(2),
                            new FindingHistory(rs.getTimestamp(3).toInstant(), rs.getInt(4)));
                }
            }
        }
        return history;
    }

    static Map<FindingKind, Instant> oldestOpen(StateStore store) {
        try (Connection c = store.dataSource().getConnection()) {
            return oldestOpen(c, store);
        } catch (SQLException e) {
            LOG.warnf(e, "reading the oldest open findings from %s failed", store.table("finding_ledger"));
            return new EnumMap<>(FindingKind.class);
        }
    }

    private static Map<FindingKind, Instant> oldestOpen(Connection c, StateStore store) throws SQLException {
        Map<FindingKind, Instant> oldest = new EnumMap<>(FindingKind.class);
        // Per kind we know, the first entry of the (kind, first_seen) index: no scan of a million open entries.
        // An entry of a kind an older version had is not asked for; it closes at the next scan.
        String sql = "SELECT k.kind, (SELECT min(l.first_seen) FROM " + store.table("finding_ledger")
                + " l WHERE l.closed_at IS NULL AND l.kind = k.kind) FROM unnest(?::text[]) AS k(kind)";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", Arrays.stream(FindingKind.values()).map(FindingKind::label).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Timestamp first = rs.getTimestamp(2);
                    if (first != null) {
                        oldest.put(FindingKind.parse(rs.getString(1)), first.toInstant());
                    }
                }
            }
        }
        return oldest;
    }

    @Override
    public void abandon() {
        staging.abandon();
    }

    private void fail(String message, Throwable e) {
        if (problem == null) {
            problem = message;
            LOG.errorf(e, "finding ledger not updated for run %s: %s", runId, message);
        }
    }

    @Override
    public String problem() {
        return problem;
    }
}
