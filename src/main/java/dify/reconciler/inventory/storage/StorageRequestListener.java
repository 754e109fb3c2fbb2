package dify.reconciler.inventory.storage;

/**
 * Told about every request a storage adapter makes, so the metrics layer can count them by operation and
 * outcome without the adapters knowing about Micrometer.
 */
@FunctionalInterface
public interface StorageRequestListener {

    /** Ignores everything; the default. */
    StorageRequestListener NO_OP = (operation, ok) -> {};

    /**
     * @param operation {@code list} (one page), {@code head} or {@code get}
     * @param ok {@code true} when the store answered as expected, including "no such key" on a head
     *        (that is an answer, not a failure); {@code false} when the request failed
     */
    void onRequest(String operation, boolean ok);
}
