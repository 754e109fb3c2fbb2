package dify.reconciler.actor;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Checked at the start of every write transaction, on that transaction's connection: throws when this process
 * must not write any more (a service that lost leadership since it planned, a command whose lock session died). Leadership alone is read before
 * the work starts; the fence closes the gap between that read and each item's transaction.
 */
@FunctionalInterface
public interface WriteFence {

    /** No fence (the default bean, replaced by {@code leader.LeaderPermission}; unit tests). */
    WriteFence NONE = c -> {};

    /** Throws (and the item's transaction is rolled back, the item reported failed) when we may not write now. */
    void check(Connection c) throws SQLException;
}
