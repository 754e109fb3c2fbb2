package dify.reconciler.remediate.record;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Reads the audit ({@code remediation_actions}): filtered pages for the API, and what one run applied. */
public final class AuditLog {

    /**
     * One audit row; {@code before} and {@code after} are the changed columns (or an object's version) as JSON text,
     * or null; {@code objectKey}/{@code targetKey} name an object action's object and copy target; {@code cache} what
     * became of the daemon's cached copies after the commit.
     */
    public record Entry(long seq, String actionId, String runId, String planId, String instance, String kind, String action,
            String table, String rowId, String before, String after, String outcome, String detail, Instant at, String objectKey,
            String targetKey, String cache, String approvedBy) {
    }

    /** Exact matches; a null field matches everything. */
    public record Filter(String kind, String outcome, String runId, String planId) {
    }

    public record Page(long total, List<Entry> entries) {
    }

    private static final String WHERE = " WHERE (CAST(? AS text) IS NULL OR kind = ?) AND (CAST(? AS text) IS NULL OR outcome = ?)"
            + " AND (CAST(? AS text) IS NULL OR run_id = ?) AND (CAST(? AS text) IS NULL OR plan_id = ?)";

    private final DataSource dataSource;
    private final String table;

    /** @param auditTable our {@code remediation_actions}, schema-qualified */
    public AuditLog(DataSource dataSource, String auditTable) {
        this.dataSource = dataSource;
        this.table = auditTable;
    }

    /** Newest first. */
    public Page page(Filter f, int offset, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            long total;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + table + WHERE)) {
                bind(ps, f);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            List<Entry> entries = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT seq, action_id, run_id, plan_id, instance, kind, action,"
                    + " table_name, row_id, before::text, after::text, outcome, detail, at, object_key, target_key, cache, approved_by FROM "
                    + table
                    + WHERE
                    + " ORDER BY seq DESC OFFSET ? LIMIT ?")) {
                int i = bind(ps, f);
                ps.setLong(i++, offset);
                ps.setInt(i, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        entries.add(new Entry(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9), rs.getString(10),
                                rs.getString(11), rs.getString(12), rs.getString(13), rs.getTimestamp(14).toInstant(),
                                rs.getString(15), rs.getString(16), rs.getString(17), rs.getString(18)));
                    }
                }
            }
            return new Page(total, entries);
        }
    }

    /** The actions a run applied, the most recently applied first (so restore unwinds them in reverse order). */
    public List<String> appliedBy(String runId) throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT action_id FROM " + table
                        + " WHERE run_id = ? AND outcome = 'applied' GROUP BY action_id ORDER BY max(seq) DESC")) {
            ps.setString(1, runId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
        }
        return ids;
    }

    private static int bind(PreparedStatement ps, Filter f) throws SQLException {
        int i = 1;
        for (String v : new String[] {f.kind(), f.outcome(), f.runId(), f.planId()}) {
            ps.setString(i++, v);
            ps.setString(i++, v);
        }
        return i;
    }
}
