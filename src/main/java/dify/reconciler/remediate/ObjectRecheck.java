package dify.reconciler.remediate;

import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The database half of an object action's re-check: the finding's condition on the daemon's rows, read in one
 * short READ COMMITTED transaction that the caller commits before any storage I/O (no lock is held while the
 * bucket is read or written; the object's version, compared afterwards, guards the rest).
 */
final class ObjectRecheck {

    private static final String NO_DECLARATIONS = "plugin_declarations has no declaration column: asset references cannot be re-checked";

    private final WriteTransactions tx;

    ObjectRecheck(WriteTransactions tx) {
        this.tx = tx;
    }

    /** Why the action must not be applied now (its condition no longer holds), or null when it may. */
    String skipReason(Connection c, PlannedAction a) throws SQLException {
        String uid = a.pluginUniqueIdentifier();
        return switch (a.kind()) {
            case INVALID_INSTALLED_KEY -> null; // the key can never become valid: always quarantined
            // bytes against bytes: the object's version and the source's recomputed identifier decide
            case INSTALLED_COPY_DIFFERS, CHECKSUM_MISMATCH -> null;
            // plugin_unreferenced's second step, after its rows were quarantined: as an orphaned installed copy
            case INSTALLED_OBJECT_ORPHANED, PLUGIN_UNREFERENCED -> firstOf(
                    exists(c, DaemonSchema.PLUGINS, uid) ? "a plugins row with identifier " + uid + " exists now" : null,
                    installInFlight(c, uid));
            case PACKAGE_ORPHANED -> firstOf(
                    exists(c, DaemonSchema.DECLARATIONS, uid) ? "a declaration with identifier " + uid + " exists now" : null,
                    installInFlight(c, uid));
            case ASSET_ORPHANED -> {
                String name = fileName(a.key());
                yield !canSeeDeclarations()
                        ? NO_DECLARATIONS
                        : mentioned(c, name) ? "a declaration refers to " + name + " now" : null;
            }
            case INSTALLED_OBJECT_MISSING -> installedCopyNeeded(c, uid);
            case ASSET_MISSING -> {
                String name = fileName(a.targetKey());
                yield !canSeeDeclarations()
                        ? NO_DECLARATIONS
                        : mentioned(c, name) ? null : "no declaration refers to " + name + " any more";
            }
            case PACKAGE_MISSING -> exists(c, DaemonSchema.DECLARATIONS, uid)
                    ? null
                    : "no declaration with identifier " + uid + " exists any more";
            default -> throw new IllegalArgumentException("no object remedy for " + a.kind().label());
        };
    }

    private static String firstOf(String first, String second) {
        return first != null ? first : second;
    }

    private boolean exists(Connection c, String table, String uid) throws SQLException {
        return count(c, "SELECT count(*) FROM " + tx.schema().qualified(table) + " WHERE plugin_unique_identifier = ?", uid) > 0;
    }

    /** The same rule as the row remedies' (see {@link InstallsInFlight}): a database that cannot say refuses. */
    private String installInFlight(Connection c, String uid) throws SQLException {
        return InstallsInFlight.reason(c, tx.schema(), uid);
    }

    private static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    private boolean canSeeDeclarations() {
        return tx.schema().hasColumn(DaemonSchema.DECLARATIONS, "declaration");
    }

    /** Whether any declaration names the asset (an asset id is its file name; conservative: any mention counts). */
    private boolean mentioned(Connection c, String assetId) throws SQLException {
        return count(c, "SELECT count(*) FROM " + tx.schema().qualified(DaemonSchema.DECLARATIONS)
                + " WHERE strpos(CAST(declaration AS text), ?) > 0", assetId) > 0;
    }

    private String installedCopyNeeded(Connection c, String uid) throws SQLException {
        long local = count(c, "SELECT count(*) FROM " + tx.schema().qualified(DaemonSchema.PLUGINS)
                + " WHERE plugin_unique_identifier = ? AND install_type = 'local'", uid);
        if (local == 0) {
            return "no plugins row with identifier " + uid + " and install_type local exists any more";
        }
        long installed = count(c, "SELECT count(*) FROM " + tx.schema().qualified(DaemonSchema.INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ?", uid);
        return installed == 0 ? "no installation uses " + uid + " any more" : null;
    }

    private static long count(Connection c, String sql, String param) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
