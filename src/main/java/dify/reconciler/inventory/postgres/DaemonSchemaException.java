package dify.reconciler.inventory.postgres;

/** The database is not (or not yet) a plugin daemon database we can read safely. Fails the run. */
public class DaemonSchemaException extends RuntimeException {
    public DaemonSchemaException(String message) {
        super(message);
    }
}
