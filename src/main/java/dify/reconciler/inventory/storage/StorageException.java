package dify.reconciler.inventory.storage;

/**
 * A storage operation failed (listing, reading, head). Never means "the object does not exist": that is
 * answered by an empty {@code Optional} from {@link ObjectStorage#head}. The scan fails on this exception.
 */
public class StorageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }

    public StorageException(String message) {
        super(message);
    }
}
