package dify.reconciler.remediate.write;

import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reads a remedy's re-check makes on the daemon's rows, inside the transaction its applier began: counts,
 * existence, and rows locked {@code FOR UPDATE}. Tables come from {@link DaemonSchema}'s allow-list, columns are
 * literals of the remedies, values are always bound.
 */
public class DaemonRowReads {

    /** A locked row: its JSON (row_to_json), its id and the columns the re-check reads. */
    public record Locked(String json, String id, List<String> values) {
    }

    /**
     * Whether a lock may be waited for. Only the first lock of a transaction waits (up to lock_timeout); once we
     * hold one, every further lock is taken NOWAIT, so we never wait while holding a row: the daemon's upgrade
     * locks an installation and then its plugins rows, the reverse of its uninstall's order (ours), and a wait
     * of ours there could make the deadlock detector abort the daemon's transaction instead of ours.
     */
    public enum Wait {
        WAIT,
        NOWAIT;

        public static Wait after(List<?> held) {
            return held.isEmpty() ? WAIT : NOWAIT;
        }
    }

    private final WriteTransactions tx;

    public DaemonRowReads(WriteTransactions tx) {
        this.tx = tx;
    }

    public DaemonSchema schema() {
        return tx.schema();
    }

    /** Dify's workspaces, for the one remedy that re-checks them ({@link DifyWorkspaces}). */
    public DifyWorkspaces difyWorkspaces() {
        return tx.difyWorkspaces();
    }

    public String qualified(String table) {
        return tx.schema().qualified(table);
    }

    /** The predicate selecting a row of {@code table} (alias {@code t}) by its id, one bound parameter. */
    public String idPredicate(Connection c, String table) throws SQLException {
        return tx.idPredicate(c, table);
    }

    public List<Locked> lockById(Connection c, String table, String id, List<String> columns, Wait wait) throws SQLException {
        return lock(c, table, tx.idPredicate(c, table), columns, wait, id);
    }

    public List<Locked> lockByIdentifier(Connection c, String table, String uid, List<String> columns, Wait wait) throws SQLException {
        return lock(c, table, "t.plugin_unique_identifier = ?", columns, wait, uid);
    }

    /** {@code SELECT … FOR UPDATE} in id order (a stable lock order); table from the allow-list, values bound. */
    public List<Locked> lock(Connection c, String table, String where, List<String> columns, Wait wait, String... params)
            throws SQLException {
        List<Locked> rows = new ArrayList<>();
        StringBuilder select = new StringBuilder("SELECT row_to_json(t)::text, t.id::text");
        columns.forEach(col -> select.append(", ").append(col)); // literals of the remedies
        try (PreparedStatement ps = c.prepareStatement(select + " FROM " + qualified(table) + " t WHERE " + where
                + " ORDER BY t.id FOR UPDATE" + (wait == Wait.NOWAIT ? " NOWAIT" : ""))) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < columns.size(); i++) {
                        values.add(rs.getString(3 + i));
                    }
                    rows.add(new Locked(rs.getString(1), rs.getString(2), values));
                }
            }
        }
        return rows;
    }

    /** Whether the daemon's table holds a row with this identifier. */
    public boolean hasIdentifier(Connection c, String table, String uid) throws SQLException {
        return exists(c, "SELECT 1 FROM " + qualified(table) + " WHERE plugin_unique_identifier = ?", uid);
    }

    public long countInstallations(Connection c, String uid) throws SQLException {
        return count(c, "SELECT count(*) FROM " + qualified(DaemonSchema.INSTALLATIONS) + " WHERE plugin_unique_identifier = ?",
                uid);
    }

    /** Why an install in flight may name the identifier, or null (see {@link InstallsInFlight}: fail closed). */
    public String installInFlight(Connection c, String uid) throws SQLException {
        return InstallsInFlight.reason(c, tx.schema(), uid);
    }

    /** Whether the daemon's declarations table has its {@code declaration} column, which asset references live in. */
    public boolean canSeeDeclarations() {
        return tx.schema().hasColumn(DaemonSchema.DECLARATIONS, "declaration");
    }

    /** Whether any declaration names the asset (an asset id is its file name; conservative: any mention counts). */
    public boolean declarationsMention(Connection c, String assetId) throws SQLException {
        return count(c, "SELECT count(*) FROM " + qualified(DaemonSchema.DECLARATIONS)
                + " WHERE strpos(CAST(declaration AS text), ?) > 0", assetId) > 0;
    }

    public static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql + " LIMIT 1")) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    public static long count(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static void bind(PreparedStatement ps, String... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            ps.setString(i + 1, params[i]);
        }
    }
}
