package dify.reconciler.remediate;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.planner.RemediationPlanner;
import dify.reconciler.state.FindingHistory;
import dify.reconciler.state.LedgerEvidence;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import javax.sql.DataSource;

/**
 * The open ledger entries of the allowed kinds, as planner candidates: every finding, not only the report's
 * capped list. Streamed through a cursor, confirmed and oldest first, so the planner stops reading at its cap;
 * read in index order up to what the planner can consume, so a plan costs the same at a million open entries.
 */
public final class LedgerCandidates {

    /** Called with the candidates while the cursor is open. */
    @FunctionalInterface
    public interface Consumer<T> {
        T accept(Iterator<RemediationCandidate> candidates) throws SQLException;
    }

    private final DataSource dataSource;
    private final String entriesTable;
    private final String scansTable;

    /**
     * @param entriesTable our {@code finding_entries}, schema-qualified
     * @param scansTable   our {@code ledger_scans}, schema-qualified
     */
    public LedgerCandidates(DataSource dataSource, String entriesTable, String scansTable) {
        this.dataSource = dataSource;
        this.entriesTable = entriesTable;
        this.scansTable = scansTable;
    }

    /**
     * @param runId the scan just completed: only entries that scan saw (and so confirmed or opened) are read, so a
     *              ledger the scan could not update never yields stale candidates
     * @param limit at most this many entries are read: what the planner can consume before it stops (see
     *              {@link RemediationPlanner#mostCandidatesRead}), so a plan never sorts the whole ledger
     */
    public <T> T read(String runId, Collection<FindingKind> kinds, int confirmations, int limit, Consumer<T> consumer)
            throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // a cursor (fetch size) needs a transaction
            try {
                // Confirmed entries first, then the others, each oldest first: two queries, the second only run if
                // the planner reads past the first, each walking the index of open entries in (kind, first_seen, id)
                // order and stopping at the limit.
                Counted counted = counted(c, runId);
                Tier confirmed = new Tier(c, runId, counted, kinds, confirmations, true, limit);
                Tier unconfirmed = new Tier(c, runId, counted, kinds, confirmations, false, limit);
                try {
                    return consumer.accept(new Chained(confirmed, unconfirmed, limit));
                } finally {
                    confirmed.close();
                    unconfirmed.close();
                }
            } finally {
                c.rollback(); // read only
                c.setAutoCommit(autoCommit);
            }
        }
    }

    /**
     * What the ledger's counter says of the entries it counts (V12: an open entry with no last_run of its own was seen
     * by every merged scan since its first_scan): whether the last merged scan is the run planned for, and how many
     * scans were merged.
     */
    private record Counted(boolean lastRun, long scans) {
    }

    private Counted counted(Connection c, String runId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT last_run::text, scans FROM " + scansTable);
                ResultSet rs = ps.executeQuery()) {
            return rs.next() ? new Counted(runId.equals(rs.getString(1)), rs.getLong(2)) : new Counted(false, 0);
        }
    }

    /** The confirmed tier's candidates, then the unconfirmed tier's (opened on first need), at most {@code limit} in all. */
    private static final class Chained implements Iterator<RemediationCandidate> {
        private final Tier first;
        private final Tier second;
        private final int limit;
        private int read;

        Chained(Tier first, Tier second, int limit) {
            this.first = first;
            this.second = second;
            this.limit = limit;
        }

        @Override
        public boolean hasNext() {
            return read < limit && (first.cursor().hasNext() || second.cursor().hasNext());
        }

        @Override
        public RemediationCandidate next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            read++;
            return first.cursor().hasNext() ? first.cursor().next() : second.cursor().next();
        }
    }

    /** One tier's query, executed when first read. */
    private final class Tier {
        private final Connection c;
        private final String runId;
        private final Counted counted;
        private final List<String> kinds;
        private final int confirmations;
        private final boolean confirmed;
        private final int limit;
        private PreparedStatement statement;
        private Cursor cursor;

        Tier(Connection c, String runId, Counted counted, Collection<FindingKind> kinds, int confirmations, boolean confirmed,
                int limit) {
            this.c = c;
            this.runId = runId;
            this.counted = counted;
            this.kinds = kinds.stream().map(FindingKind::label).sorted().toList();
            this.confirmations = confirmations;
            this.confirmed = confirmed;
            this.limit = limit;
        }

        Cursor cursor() {
            if (cursor == null) {
                try {
                    // One branch per kind, each an ordered scan of the open entries' (kind, first_seen, id) index;
                    // PostgreSQL merges them in order (Merge Append) and stops at the limit. The conditions are on the
                    // stored columns, not on finding_ledger's derived last_run and consecutive_scans: of those the
                    // planner knows nothing, took "seen by this run and confirmed" for 0.2 % of the entries and, at a
                    // million open entries, read them all and sorted them (1.4 s) instead of the first few hundred of
                    // the index (8 ms). A counted entry (last_run null, V12) was seen by the last merged scan and by
                    // every one since its first_scan; any other has its own last_run and consecutive_scans.
                    String branch = "SELECT kind, subject, plugin_unique_identifier, plugin_id, tenant_id, evidence, first_seen,"
                            + " coalesce(consecutive_scans, (? - first_scan + 1)::integer) AS consecutive_scans, id FROM "
                            + entriesTable + " WHERE closed_at IS NULL AND kind = ? AND ((? AND last_run IS NULL AND first_scan "
                            + (confirmed ? "<=" : ">") + " ?) OR (last_run = CAST(? AS uuid) AND consecutive_scans "
                            + (confirmed ? ">=" : "<") + " ?))";
                    String sql = "SELECT kind, subject, plugin_unique_identifier, plugin_id, tenant_id, evidence, first_seen,"
                            + " consecutive_scans FROM ("
                            + String.join(" UNION ALL ", Collections.nCopies(Math.max(1, kinds.size()), branch))
                            + ") t ORDER BY first_seen, id LIMIT ?";
                    statement = c.prepareStatement(sql);
                    int p = 1;
                    for (String kind : kinds.isEmpty() ? List.of("") : kinds) {
                        statement.setLong(p++, counted.scans());
                        statement.setString(p++, kind);
                        statement.setBoolean(p++, counted.lastRun());
                        // consecutive scans = scans - first_scan + 1 >= confirmations <=> first_scan <= scans + 1 - confirmations
                        statement.setLong(p++, counted.scans() + 1 - confirmations);
                        statement.setString(p++, runId);
                        statement.setInt(p++, confirmations);
                    }
                    statement.setInt(p, limit);
                    statement.setFetchSize(500);
                    cursor = new Cursor(statement.executeQuery());
                } catch (SQLException e) {
                    throw new IllegalStateException("reading the finding ledger failed: " + e.getMessage(), e);
                }
            }
            return cursor;
        }

        void close() throws SQLException {
            if (statement != null) {
                statement.close();
            }
        }
    }

    private final class Cursor implements Iterator<RemediationCandidate> {
        private final ResultSet rs;
        private Boolean ahead;

        Cursor(ResultSet rs) {
            this.rs = rs;
        }

        @Override
        public boolean hasNext() {
            if (ahead == null) {
                try {
                    ahead = rs.next();
                } catch (SQLException e) {
                    throw new IllegalStateException("reading the finding ledger failed: " + e.getMessage(), e);
                }
            }
            return ahead;
        }

        @Override
        public RemediationCandidate next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ahead = null;
            try {
                Finding f = LedgerEvidence.decode(FindingKind.parse(rs.getString(1)), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6));
                return new RemediationCandidate(f, new FindingHistory(rs.getTimestamp(7).toInstant(), rs.getInt(8)));
            } catch (SQLException e) {
                throw new IllegalStateException("reading the finding ledger failed: " + e.getMessage(), e);
            }
        }
    }
}
