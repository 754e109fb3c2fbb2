package dify.reconciler.remediate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.state.FindingHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.Iterator;
import java.util.NoSuchElementException;
import javax.sql.DataSource;

/**
 * The open ledger entries of the allowed kinds, as planner candidates: every finding, not only the report's
 * capped list. Streamed through a cursor, confirmed and oldest first, so the planner stops reading at its cap.
 */
public final class LedgerCandidates {

    /** Called with the candidates while the cursor is open. */
    @FunctionalInterface
    public interface Consumer<T> {
        T accept(Iterator<RemediationCandidate> candidates) throws SQLException;
    }

    private final DataSource dataSource;
    private final String ledgerTable;
    private final ObjectMapper json;

    /** @param ledgerTable our {@code finding_ledger}, schema-qualified */
    public LedgerCandidates(DataSource dataSource, String ledgerTable, ObjectMapper json) {
        this.dataSource = dataSource;
        this.ledgerTable = ledgerTable;
        this.json = json;
    }

    /**
     * @param runId the scan just completed: only entries that scan saw (and so confirmed or opened) are read, so a
     *              ledger the scan could not update never yields stale candidates
     */
    public <T> T read(String runId, Collection<FindingKind> kinds, int confirmations, Consumer<T> consumer) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // a cursor (fetch size) needs a transaction
            try (PreparedStatement ps = c.prepareStatement("SELECT evidence::text, first_seen, consecutive_scans FROM "
                    + ledgerTable + " WHERE closed_at IS NULL AND last_run = CAST(? AS uuid) AND kind = ANY(?)"
                    + " ORDER BY (consecutive_scans >= ?) DESC, first_seen, id")) {
                Array labels = c.createArrayOf("text", kinds.stream().map(FindingKind::label).toArray());
                ps.setString(1, runId);
                ps.setArray(2, labels);
                ps.setInt(3, confirmations);
                ps.setFetchSize(500);
                try (ResultSet rs = ps.executeQuery()) {
                    return consumer.accept(new Cursor(rs));
                }
            } finally {
                c.rollback(); // read only
                c.setAutoCommit(autoCommit);
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
                JsonNode e = json.readTree(rs.getString(1));
                Finding f = new Finding(FindingKind.parse(e.path("kind").asText()), text(e, "table"), text(e, "id"),
                        text(e, "key"), text(e, "pluginUniqueIdentifier"), text(e, "pluginId"), text(e, "tenantId"),
                        e.hasNonNull("bytes") ? e.get("bytes").asLong() : null, e.path("detail").asText(""), observed(e));
                return new RemediationCandidate(f, new FindingHistory(rs.getTimestamp(2).toInstant(), rs.getInt(3)));
            } catch (SQLException e) {
                throw new IllegalStateException("reading the finding ledger failed: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static String text(JsonNode n, String field) {
            return n.hasNonNull(field) ? n.get(field).asText() : null;
        }
    }

    /** The subject's version as the scan saw it (the ledger's evidence keeps it), or null when it was not recorded. */
    private static ObservedVersion observed(JsonNode evidence) {
        JsonNode o = evidence.get("observed");
        if (o == null || o.isNull()) {
            return null;
        }
        return new ObservedVersion(instant(o, "changedAt"), o.hasNonNull("size") ? o.get("size").asLong() : null,
                instant(o, "lastModified"), o.hasNonNull("etag") ? o.get("etag").asText() : null);
    }

    private static Instant instant(JsonNode node, String field) {
        return node.hasNonNull(field) ? Instant.parse(node.get(field).asText()) : null;
    }
}
