package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import java.util.Set;

/**
 * {@code category_row_orphaned} and {@code endpoint_orphaned}: a category row or endpoint is quarantined only while
 * no installation of its tenant and plugin id exists at all: one whose installation has another identifier is
 * reported, not removed.
 */
public final class OrphanedRowRemedy extends OneRowRemedy {

    private static final String UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    /** The five category tables' rows; their identifier must still be the one the scan saw. */
    public static final OrphanedRowRemedy CATEGORY_ROWS = new OrphanedRowRemedy(FindingKind.CATEGORY_ROW_ORPHANED,
            Set.copyOf(DaemonSchema.CATEGORY_TABLES), "t.plugin_unique_identifier");
    /** Endpoints carry no identifier. */
    public static final OrphanedRowRemedy ENDPOINTS = new OrphanedRowRemedy(FindingKind.ENDPOINT_ORPHANED, Set.of(DaemonSchema.ENDPOINTS),
            "NULL");

    private final FindingKind kind;
    private final Set<String> tables;
    /** A literal: the column holding the row's identifier, or NULL. */
    private final String uidColumn;

    private OrphanedRowRemedy(FindingKind kind, Set<String> tables, String uidColumn) {
        this.kind = kind;
        this.tables = Set.copyOf(tables);
        this.uidColumn = uidColumn;
    }

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(kind);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    @Override
    public long population(FindingKind k, ScanCounts counts) {
        return tables.stream().mapToLong(counts::rowsOf).sum();
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return tables.contains(a.table());
    }

    @Override
    Verdict check(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        String row;
        String tenant;
        String pluginId;
        String uid;
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.tenant_id::text, t.plugin_id, " + uidColumn
                + " FROM " + reads.qualified(a.table()) + " t WHERE " + reads.idPredicate(c, a.table()) + " FOR UPDATE")) {
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
        boolean identifierChanged = !"NULL".equals(uidColumn) && !Objects.equals(uid, a.pluginUniqueIdentifier());
        if (!Objects.equals(tenant, a.tenantId()) || !Objects.equals(pluginId, a.pluginId()) || identifierChanged) {
            return Verdict.skip(row, "the row's tenant, plugin id or identifier changed");
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT i.plugin_unique_identifier FROM "
                + reads.qualified(DaemonSchema.INSTALLATIONS) + " i WHERE i.plugin_id = ?"
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
}
