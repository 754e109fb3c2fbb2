package dify.reconciler.leader;

/**
 * What one replica knows about leadership, for the gauge and the readiness data.
 *
 * @param leader whether this replica holds the lock now
 * @param key the advisory lock key ({@link LeaderLockKey})
 * @param holder the session that holds the lock ({@code pid 123 (application_name)}), when known; null when
 *        nobody holds it or it could not be read
 * @param state one line for operators: leading, following, not taking part and why, or the database error
 */
public record LeaderStatus(boolean leader, long key, String holder, String state) {

    static LeaderStatus notYet(long key) {
        return new LeaderStatus(false, key, null, "not tried yet");
    }
}
