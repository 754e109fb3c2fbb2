package dify.reconciler.actor;

/**
 * One actor across processes: the lock a one-shot command that writes holds while it runs (the service leader's
 * advisory lock, {@code leader.CommandLock}). The {@link dify.reconciler.remediate.acting.AccessGate AccessGate} takes it for a command; the service acts under
 * the leader election's hold of the same lock instead.
 */
@FunctionalInterface
public interface ActorLock {

    /** The held lock; closing it unlocks. */
    interface Hold extends AutoCloseable {

        /** Nothing to release (the service's leader acts under the election's lock). */
        Hold NONE = () -> {};

        @Override
        void close();
    }

    /** The lock is someone else's, or cannot be taken: the command must not write. */
    final class Refused extends Exception {

        private static final long serialVersionUID = 1L;

        public Refused(String message) {
            super(message);
        }
    }

    /**
     * Takes the lock for {@code command}, at once or not at all.
     *
     * @throws Refused when another reconciler holds it (the message names its session), or it cannot be taken
     */
    Hold acquire(String command) throws Refused;
}
