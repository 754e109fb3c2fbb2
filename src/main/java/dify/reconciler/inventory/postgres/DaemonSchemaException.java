package dify.reconciler.inventory.postgres;

/** The database is not (or not yet) a plugin daemon database we can read safely. Fails the run. */
public class DaemonSchemaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DaemonSchemaException(String message) {
        super(message);
    }
}
