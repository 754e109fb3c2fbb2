package dify.reconciler.remediate.write;

import dify.reconciler.config.DifyDatabaseSettings;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The re-check on Dify's side of {@code installation_tenant_missing}, made just before the action locks the daemon's
 * rows (never while holding one): the workspace is still not in Dify's {@code tenants}, and the table read is the one
 * this daemon's Dify uses: not empty, and holding at least one of the other workspaces the daemon has installations
 * for. Otherwise (a restore of Dify's database in progress, {@code reconciler.dify-database} naming another
 * installation's database) every workspace would look deleted, so nothing is done.
 */
public interface DifyWorkspaces {

    /** Nothing can be checked: the setting is absent in this process, so the action is skipped. */
    DifyWorkspaces NOT_CONFIGURED = (tenant, others) -> "reconciler.dify-database is not set for this process: it cannot"
            + " re-check that the workspace is still missing in Dify";

    /**
     * Null when {@code tenant} is missing from Dify's {@code tenants} and the table is trusted; else why not, as a
     * sentence.
     *
     * @param others other workspaces the daemon has installations for (a sample), to recognise Dify's database
     */
    String whyNotMissing(String tenant, List<String> others) throws SQLException;

    /** Reads Dify's database with the scan's settings: a short read-only session per check, closed at once. */
    static DifyWorkspaces of(DifyDatabaseSettings settings) {
        return new DifyWorkspaces() {
            @Override
            public String whyNotMissing(String tenant, List<String> others) throws SQLException {
                try {
                    return read(tenant, others);
                } catch (SQLException e) {
                    // Named as Dify's, without the SQL state: a lock timeout here is Dify's API, not the daemon's rows.
                    throw new SQLException("re-checking Dify's tenants in " + settings.description() + " failed: "
                            + e.getMessage(), e);
                }
            }

            private String read(String tenant, List<String> others) throws SQLException {
                try (Connection c = DriverManager.getConnection(settings.url(), settings.connectionProperties())) {
                    c.setReadOnly(true);
                    try (Statement st = c.createStatement()) {
                        // Dify's API must never wait on us: short timeouts, and no transaction left open.
                        st.execute("SET lock_timeout = 2000");
                        st.execute("SET statement_timeout = 10000");
                    }
                    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM tenants),"
                            + " EXISTS (SELECT 1 FROM tenants WHERE ? AND id = CAST(? AS uuid)),"
                            + " (SELECT count(*) FROM tenants WHERE id = ANY (CAST(? AS uuid[])))")) {
                        // An id without the uuid shape (endpoints keep it as text) cannot be in tenants.id (uuid).
                        boolean uuidShaped = tenant.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
                        ps.setBoolean(1, uuidShaped);
                        ps.setString(2, uuidShaped ? tenant : null);
                        Array sample = c.createArrayOf("text", others.toArray());
                        ps.setArray(3, sample);
                        try (ResultSet rs = ps.executeQuery()) {
                            rs.next();
                            return verdict(rs.getBoolean(1), rs.getBoolean(2), rs.getLong(3), others.size(), settings);
                        }
                    }
                }
            }
        };
    }

    private static String verdict(boolean any, boolean present, long othersFound, int others, DifyDatabaseSettings settings) {
        String where = "Dify's database " + settings.description();
        if (!any) {
            return "tenants is empty in " + where + ": not the database of this daemon's Dify, or a restore in progress";
        }
        if (present) {
            return "the workspace is in tenants of " + where + " now";
        }
        if (others == 0) {
            return "the daemon has no other workspace's installation to recognise " + where
                    + " by: the workspace is left to the runbook";
        }
        if (othersFound == 0) {
            return "none of " + others + " other workspaces the daemon has installations for is in tenants of " + where
                    + ": not the database of this daemon's Dify?";
        }
        return null;
    }
}
