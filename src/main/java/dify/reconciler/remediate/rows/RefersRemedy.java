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
 * {@code refers_too_low} and {@code refers_drift}: set {@code plugins.refers} to the number of installations of its
 * identifier, as section 9 says: lock the plugins row, count the installations in a separate statement, set the
 * absolute value (never refers ± 1), only while the finding still holds.
 */
public final class RefersRemedy extends OneRowRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.REFERS_TOO_LOW, FindingKind.REFERS_DRIFT);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.UPDATE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.PLUGINS);
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return DaemonSchema.PLUGINS.equals(a.table());
    }

    @Override
    Verdict check(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        String row;
        String uid;
        long refers;
        try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text, t.plugin_unique_identifier, t.refers FROM "
                + reads.qualified(DaemonSchema.PLUGINS) + " t WHERE " + reads.idPredicate(c, DaemonSchema.PLUGINS) + " FOR UPDATE")) {
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
        long installed = reads.countInstallations(c, uid);
        boolean still = a.kind() == FindingKind.REFERS_TOO_LOW ? refers < installed : refers > installed;
        if (!still) {
            return Verdict.skip(row, "refers is now " + refers + " with " + installed + " installation(s): no longer "
                    + a.kind().label());
        }
        return new Verdict(row, null, refers, installed);
    }
}
