package dify.reconciler.inventory.postgres;

/** A query failed part-way through a stream. Fails the run, like any {@link java.sql.SQLException}. */
public class DatabaseReadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DatabaseReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
