package dify.reconciler.inventory.storage;

import java.io.InputStream;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The daemon's bucket. Implementations: S3 (ListObjectsV2) and the daemon's {@code local} storage type (a
 * folder with the same key layout). Scans only read; remediation writes through the guarded operations
 * below, each of which refuses ({@link ObjectChangedException}, nothing written) when an object is not at the
 * version the caller observed, and never overwrites or removes an object the caller did not name with its
 * version. Where the store cannot make the check and the write one atomic step, the remaining window is
 * documented on the implementation. A write that succeeded but whose answer was lost, so that the client's retry
 * met its own object, is returned as written when the key holds exactly the bytes written (see LostAnswer); it is
 * never reported as "changed, nothing written" while our object is in the store.
 */
public interface ObjectStorage extends AutoCloseable {

    /**
     * Every object whose key starts with {@code prefix}, in strictly ascending UTF-8 byte order of keys
     * (the order S3 lists in). Lazy: pages are fetched as the stream is consumed. Any failure while
     * listing, including a page that cannot be fetched, throws {@link StorageException} from the stream;
     * a listing is never silently cut short. The caller closes the stream.
     */
    Stream<StoredObject> list(String prefix);

    /**
     * The level just below {@code prefix} (which ends in '/'), as S3's delimiter listing gives it: each common prefix
     * {@code prefix + name + "/"} once (nothing below it), and each object whose key has no further '/', together in
     * strictly ascending UTF-8 byte order of {@link ListingPart#start()}. Listing every folder part with {@link #list}
     * and taking the objects as they are gives exactly {@code list(prefix)}. Empty where the store cannot list by
     * delimiter: the caller then lists {@code prefix} whole. Fails like {@link #list}; the caller closes the stream.
     */
    default Optional<Stream<ListingPart>> listOneLevel(String prefix) {
        return Optional.empty();
    }

    /** The object's bytes. Throws {@link StorageException} when it cannot be read (including when missing). */
    InputStream open(String key);

    /**
     * The object's metadata, or empty when it does not exist. Any other failure (403, network) throws
     * {@link StorageException}: unlike the daemon, an error is never taken for "does not exist".
     */
    Optional<StoredObject> head(String key);

    /**
     * Copies {@code source} (as observed: key and version) to {@code targetKey}, server-side where the store can.
     *
     * @param expectedTarget null: the target must not exist (a copy never overwrites by surprise); else the
     *                       target's observed version, which is replaced (the caller quarantined its bytes first)
     * @return the target as written
     * @throws ObjectChangedException when the source or the target is not as expected; nothing was written
     */
    StoredObject copy(StoredObject source, String targetKey, StoredObject expectedTarget);

    /**
     * Writes {@code length} bytes from {@code content} to {@code key}.
     *
     * @param expectedTarget null: the key must not exist; else its observed version, which is replaced
     * @return the object as written
     * @throws ObjectChangedException when the key is not as expected; nothing was written
     */
    StoredObject put(String key, InputStream content, long length, StoredObject expectedTarget);

    /** {@link #put(String, InputStream, long, StoredObject)} for bytes in memory. */
    default StoredObject put(String key, byte[] content, StoredObject expectedTarget) {
        return put(key, new java.io.ByteArrayInputStream(content), content.length, expectedTarget);
    }

    /**
     * Deletes {@code expected} only while it is at that version.
     *
     * @throws ObjectChangedException when it is gone or changed; nothing was deleted
     */
    void delete(StoredObject expected);

    /** Checks that the bucket or root folder exists and can be listed; throws {@link StorageException} if not. */
    void checkReachable();

    /** A human description without secrets, e.g. {@code s3://bucket (endpoint http://host:port)} or {@code local:/app/storage}. */
    String describe();

    @Override
    default void close() {
    }
}
