package dify.reconciler.remediate.rows;

import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A row-set remedy that removes rows a daemon install reads and does not write itself (the declaration, the
 * plugins row with its serverless runtime): it looks for an install in flight once more just before its commit, and
 * an install that started after that look gets what it needs back ({@link dify.reconciler.remediate.apply.InstallRace InstallRace}).
 */
abstract class InstallRacingRemedy extends RowSetRemedy {

    /**
     * With every row still locked and changed: an install the daemon started since our re-check (its task row is
     * committed before it copies plugin/U and before its transaction, which now waits behind our locks) makes us roll
     * back, so its write wins.
     */
    @Override
    final String lookLast(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException {
        return reads.installInFlight(c, a.pluginUniqueIdentifier());
    }

    @Override
    public final boolean racesInstalls() {
        return true;
    }
}
