package dify.reconciler.remediate.write;

import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Whether the daemon may be installing an identifier now: {@code install_tasks.plugins} is JSON text naming the
 * identifiers of an install in progress (section 9 of the daemon notes). The daemon creates the task before it
 * copies {@code plugin/U} and before its install transaction, so a task seen means "its writes may still come".
 * One conservative rule for every remedy: any status other than the two final ones ({@code success},
 * {@code failed}) counts as in flight, and a database that cannot say (no {@code install_tasks} table, or no
 * {@code plugins} column) refuses.
 */
public final class InstallsInFlight {

    private InstallsInFlight() {
    }

    /** Why an install of {@code uid} may be in flight (or cannot be ruled out), or null when none is. */
    public static String reason(Connection c, DaemonSchema s, String uid) throws SQLException {
        if (!s.hasColumn(DaemonSchema.INSTALL_TASKS, "plugins")) {
            return "install_tasks (with its plugins column) does not exist: cannot tell whether an install of " + uid
                    + " is in flight";
        }
        // strpos, not LIKE: identifiers contain '_', a LIKE wildcard. Also the form with '/' escaped, as JSON may write it.
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM " + s.qualified(DaemonSchema.INSTALL_TASKS)
                + " WHERE status NOT IN ('success', 'failed') AND (strpos(plugins, ?) > 0 OR strpos(plugins, ?) > 0) LIMIT 1")) {
            ps.setString(1, uid);
            ps.setString(2, uid.replace("/", "\\/"));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? "an install task in flight names " + uid : null;
            }
        }
    }
}
