package dify.reconciler.leader;

import dify.reconciler.actor.ActingPermission;
import dify.reconciler.actor.WriteFence;
import dify.reconciler.config.ProcessMode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.OptionalInt;

/**
 * One actor. Where leader election runs (the service), only the leader may apply, restore or purge; in a
 * one-shot command only while it holds the same advisory lock ({@link CommandLock}, taken by the commands that
 * write); a service that does not take part (PgBouncer) never acts. Every write transaction first checks in
 * {@code pg_locks}, on its own connection, that our lock session (the leader's or the command's) still holds the
 * advisory lock: an actor whose lock connection died (and whose successor may already act) fails that item
 * instead of writing beside the new one.
 *
 * <p>The check and the write are not one atomic step: the lock could be lost in the milliseconds between them.
 * Each item re-checks its row under a row lock anyway, so a second writer finds the item done and skips it.
 */
@ApplicationScoped
public class LeaderPermission implements ActingPermission, WriteFence {

    /** Our session, granted the advisory lock {@code key} (a bigint: high half in classid, low half in objid). */
    private static final String STILL_HELD = "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
            + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            + " AND classid::bigint = ? AND objid::bigint = ? AND pid = ?";

    @Inject
    LeaderElection election;

    @Inject
    ProcessMode role;

    @Inject
    CommandLock commandLock;

    @Override
    public boolean mayAct() {
        if (election.active()) {
            return election.isLeader();
        }
        // A one-shot command acts while it holds the actor lock; a service outside the election never.
        return role.oneShot() && commandLock.held();
    }

    @Override
    public void check(Connection c) throws SQLException {
        OptionalInt pid = election.active() ? election.lockBackendPid() : commandLock.lockBackendPid();
        if (pid.isEmpty()) {
            throw new SQLException("not written: this instance does not hold the actor lock (it does not lead, or the command"
                    + " took no lock)");
        }
        long key = election.key();
        try (PreparedStatement ps = c.prepareStatement(STILL_HELD)) {
            ps.setLong(1, key >>> 32);
            ps.setLong(2, key & 0xffffffffL);
            ps.setInt(3, pid.getAsInt());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("not written: our session (pid " + pid.getAsInt() + ") no longer holds advisory lock "
                            + key + "; another instance may lead now");
                }
            }
        }
    }
}
