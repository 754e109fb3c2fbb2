package dify.reconciler.inventory.storage;

/**
 * A guarded write found its subject changed: the source or target is not at the version the caller observed
 * (another size or entity tag, gone, or a target that appeared). Nothing was written; the caller skips the
 * item ({@code skipped_changed}) instead of forcing it.
 */
public class ObjectChangedException extends StorageException {
    private static final long serialVersionUID = 1L;

    public ObjectChangedException(String message) {
        super(message);
    }

    public ObjectChangedException(String message, Throwable cause) {
        super(message, cause);
    }
}
