package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Locks an action's row ({@code SELECT … FOR UPDATE}) and re-evaluates the finding's condition on it, inside
 * the action's transaction: what the plan saw may be gone (the daemon installed, uninstalled or upgraded since).
 * A changed row yields a skip reason, never a forced change.
 */
final class RowRecheck {

    /** The locked row as row_to_json wrote it; {@code skip} non-null when the action must not be applied. */
    record Verdict(String rowJson, String skip, Long before, Long after) {

        static Verdict skip(String rowJson, String reason) {
            return new Verdict(rowJson, reason, null, null);
        }
    }

    /** Tables whose rows carry an identifier an invalid_identifier_row finding may be about. */
    private static final Set<String> IDENTIFIER_TABLES;

    static {
        Set<String> t = new HashSet<>(DaemonSchema.CATEGORY_TABLES);
        t.add(DaemonSchema.PLUGINS);
        t.add(DaemonSchema.DECLARATIONS);
        t.add(DaemonSchema.INSTALLATIONS);
        t.add(DaemonSchema.SERVERLESS_RUNTIMES);
        IDENTIFIER_TABLES = Set.copyOf(t);
    }

    private static final String UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    private final WriteTransactions tx;

    RowRecheck(WriteTransactions tx) {
        this.tx = tx;
    }

    /** Throws IllegalArgumentException when the plan names a table this kind's remedy never touches. */
    static void requireTable(PlannedAction a) {
        String why = tableRefusal(a);
        if (why != null) {
            throw new IllegalArgumentException(why);
        }
    }

    /** Why the plan's table (or values) are not ones this kind's remedy touches, as a sentence; null when they are. */
    static String tableRefusal(PlannedAction a) {
        boolean ok = switch (a.kind()) {
            case REFERS_TOO_LOW, REFERS_DRIFT -> DaemonSchema.PLUGINS.equals(a.table());
            case CATEGORY_ROW_ORPHANED -> DaemonSchema.CATEGORY_TABLES.contains(a.table());
            case ENDPOINT_ORPHANED -> DaemonSchema.ENDPOINTS.equals(a.table());
            case INVALID_IDENTIFIER_ROW -> IDENTIFIER_TABLES.contains(a.table());
            // The absolute value to set and the value it replaces both come from the scan: without them, no action.
            case TENANT_STORAGE_DRIFT -> DaemonSchema.TENANT_STORAGES.equals(a.table()) && a.observedValue() != null
                    && a.targetValue() != null && a.targetValue() >= 0;
            case INSTALLATION_DECLARATION_MISSING -> DaemonSchema.INSTALLATIONS.equals(a.table());
            case DECLARATION_UNREFERENCED -> DaemonSchema.DECLARATIONS.equals(a.table());
            case PLUGIN_UNREFERENCED -> DaemonSchema.PLUGINS.equals(a.table());
            default -> false;
        };
        return ok && a.rowId() != null ? null : "a " + a.kind().label() + " action on table " + a.table() + " is not one we make";
    }

    Verdict check(Connection c, PlannedAction a) throws SQLException {
        requireTable(a);
        return switch (a.kind()) {
            case REFERS_TOO_LOW, REFERS_DRIFT -> refers(c, a);
            case CATEGORY_ROW_ORPHANED -> orphan(c, a, "t.plugin_unique_identifier");
            case ENDPOINT_ORPHANED -> orphan(c, a, "NULL");
            case INVALID_IDENTIFIER_ROW -> invalidIdentifier(c, a);
            default -> throw new IllegalArgumentException("no row remedy for " + a.kind().label());
        };
    }

    /** Section 9: lock the plugins row, count the installations in a separate statement, set the absolute value. */
    private Verdict refers(Connection c, PlannedAction a) throws SQLException {
        DaemonSchema s = tx.schema();
        String row;
        String uid;
        long refers;
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.plugin_unique_identifier, t.refers FROM "
                + s.qualified(DaemonSchema.PLUGINS) + " t WHERE " + tx.idPredicate(c, DaemonSchema.PLUGINS) + " FOR UPDATE")) {
            ps.setString(1, a.rowId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Verdict.skip(null, "the row is gone");
                }
                row = rs.getString(1);
                uid = rs.getString(2);
                refers = rs.getLong(3); // NULL reads as 0, as the daemon's Go int does
            }
        }
        if (!Objects.equals(uid, a.pluginUniqueIdentifier())) {
            return Verdict.skip(row, "the row's identifier changed to " + uid);
        }
        long installed;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + s.qualified(DaemonSchema.INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ?")) {
            ps.setString(1, uid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                installed = rs.getLong(1);
            }
        }
        boolean still = a.kind() == FindingKind.REFERS_TOO_LOW ? refers < installed : refers > installed;
        if (!still) {
            return Verdict.skip(row, "refers is now " + refers + " with " + installed + " installation(s): no longer "
                    + a.kind().label());
        }
        return new Verdict(row, null, refers, installed);
    }

    /**
     * A category row or endpoint is removed only while no installation of its tenant and plugin id exists at all:
     * one whose installation has another identifier is reported, not removed (the rule).
     */
    private Verdict orphan(Connection c, PlannedAction a, String uidColumn) throws SQLException {
        DaemonSchema s = tx.schema();
        String row;
        String tenant;
        String pluginId;
        String uid;
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.tenant_id::text, t.plugin_id, " + uidColumn
                + " FROM " + s.qualified(a.table()) + " t WHERE " + tx.idPredicate(c, a.table()) + " FOR UPDATE")) {
            ps.setString(1, a.rowId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Verdict.skip(null, "the row is gone");
                }
                row = rs.getString(1);
                tenant = rs.getString(2);
                pluginId = rs.getString(3);
                uid = rs.getString(4);
            }
        }
        if (!Objects.equals(tenant, a.tenantId()) || !Objects.equals(pluginId, a.pluginId())
                || (a.kind() == FindingKind.CATEGORY_ROW_ORPHANED && !Objects.equals(uid, a.pluginUniqueIdentifier()))) {
            return Verdict.skip(row, "the row's tenant, plugin id or identifier changed");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT i.plugin_unique_identifier FROM "
                + s.qualified(DaemonSchema.INSTALLATIONS) + " i WHERE i.plugin_id = ?"
                // As the detector compares: endpoints.tenant_id is text (any case); a non-uuid text matches nothing.
                + " AND i.tenant_id = (CASE WHEN ? ~ ? THEN CAST(? AS uuid) END) LIMIT 1")) {
            ps.setString(1, pluginId);
            ps.setString(2, tenant);
            ps.setString(3, UUID_TEXT);
            ps.setString(4, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return Verdict.skip(row, "an installation of this tenant and plugin id exists (identifier "
                            + rs.getString(1) + ")");
                }
            }
        }
        return new Verdict(row, null, null, null);
    }

    private Verdict invalidIdentifier(Connection c, PlannedAction a) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.plugin_unique_identifier FROM "
                + tx.schema().qualified(a.table()) + " t WHERE " + tx.idPredicate(c, a.table()) + " FOR UPDATE")) {
            ps.setString(1, a.rowId());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Verdict.skip(null, "the row is gone");
                }
                String uid = rs.getString(2);
                if (PluginIdentifier.isValid(uid)) {
                    return Verdict.skip(rs.getString(1), "the identifier is valid now");
                }
                return new Verdict(rs.getString(1), null, null, null);
            }
        }
    }
}
