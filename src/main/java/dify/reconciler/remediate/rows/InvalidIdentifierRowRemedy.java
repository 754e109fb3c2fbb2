package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.Set;

/** {@code invalid_identifier_row}: a row whose identifier the daemon cannot parse is quarantined while it still is invalid. */
public final class InvalidIdentifierRowRemedy extends OneRowRemedy {

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

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.INVALID_IDENTIFIER_ROW);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.PLUGINS) + counts.categoryRows() + counts.rowsOf(DaemonSchema.DECLARATIONS)
                + counts.rowsOf(DaemonSchema.INSTALLATIONS) + counts.rowsOf(DaemonSchema.SERVERLESS_RUNTIMES);
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return IDENTIFIER_TABLES.contains(a.table());
    }

    @Override
    Verdict check(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.plugin_unique_identifier FROM "
                + reads.qualified(a.table()) + " t WHERE " + reads.idPredicate(c, a.table()) + " FOR UPDATE")) {
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
