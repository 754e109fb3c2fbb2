package dify.reconciler.inventory.postgres;

/** A query failed part-way through a stream. Fails the run, like any {@link java.sql.SQLException}. */
public class DatabaseReadException extends RuntimeException {
    public DatabaseReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
