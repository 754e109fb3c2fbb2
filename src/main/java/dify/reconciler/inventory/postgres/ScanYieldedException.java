package dify.reconciler.inventory.postgres;

/**
 * The scan ended its own transaction because another session (a daemon migration, typically) waited on a
 * lock the scan held. A failed run, never a clean one; the next interval scans again.
 */
public final class ScanYieldedException extends DatabaseReadException {

    private static final long serialVersionUID = 1L;

    public ScanYieldedException(String waiter, Throwable cause) {
        super("yielded to a lock request from " + waiter + "; the scan is retried at the next interval", cause);
    }
}
