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
    private final String ledgerTable;

    /** @param ledgerTable our {@code finding_ledger}, schema-qualified */
    public LedgerCandidates(DataSource dataSource, String ledgerTable) {
        this.dataSource = dataSource;
        this.ledgerTable = ledgerTable;
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
                Tier confirmed = new Tier(c, runId, kinds, confirmations, true, limit);
                Tier unconfirmed = new Tier(c, runId, kinds, confirmations, false, limit);
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
        private final List<String> kinds;
        private final int confirmations;
        private final boolean confirmed;
        private final int limit;
        private PreparedStatement statement;
        private Cursor cursor;

        Tier(Connection c, String runId, Collection<FindingKind> kinds, int confirmations, boolean confirmed, int limit) {
            this.c = c;
            this.runId = runId;
            this.kinds = kinds.stream().map(FindingKind::label).sorted().toList();
            this.confirmations = confirmations;
            this.confirmed = confirmed;
            this.limit = limit;
        }

        Cursor cursor() {
            if (cursor == null) {
                try {
                    // One branch per kind, each an ordered scan of the open entries' (kind, first_seen, id) index;
                    // PostgreSQL merges them in order (Merge Append) and stops at the limit.
                    String branch = "SELECT kind, subject, plugin_unique_identifier, plugin_id, tenant_id, compact_evidence, first_seen,"
                            + " consecutive_scans, id FROM " + ledgerTable
                            + " WHERE closed_at IS NULL AND kind = ? AND last_run = CAST(? AS uuid) AND consecutive_scans "
                            + (confirmed ? ">=" : "<") + " ?";
                    String sql = "SELECT kind, subject, plugin_unique_identifier, plugin_id, tenant_id, compact_evidence, first_seen,"
                            + " consecutive_scans FROM ("
                            + String.join(" UNION ALL ", Collections.nCopies(Math.max(1, kinds.size()), branch))
                            + ") t ORDER BY first_seen, id LIMIT ?";
                    statement = c.prepareStatement(sql);
                    int p = 1;
                    for (String kind : kinds.isEmpty() ? List.of("") : kinds) {
                        statement.setString(p++, kind);
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
