package dify.reconciler.inventory.storage;

import java.io.InputStream;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The daemon's bucket, read-only. Implementations: S3 (ListObjectsV2) and the
 * daemon's {@code local} storage type (a folder with the same key layout).
 */
public interface ObjectStorage extends AutoCloseable {

    /**
     * Every object whose key starts with {@code prefix}, in strictly ascending UTF-8 byte order of keys
     * (the order S3 lists in). Lazy: pages are fetched as the stream is consumed. Any failure while
     * listing, including a page that cannot be fetched, throws {@link StorageException} from the stream;
     * a listing is never silently cut short. The caller closes the stream.
     */
    Stream<StoredObject> list(String prefix);

    /** The object's bytes. Throws {@link StorageException} when it cannot be read (including when missing). */
    InputStream open(String key);

    /**
     * The object's metadata, or empty when it does not exist. Any other failure (403, network) throws
     * {@link StorageException}: unlike the daemon, an error is never taken for "does not exist".
     */
    Optional<StoredObject> head(String key);

    /** Checks that the bucket or root folder exists and can be listed; throws {@link StorageException} if not. */
    void checkReachable();

    /** A human description without secrets, e.g. {@code s3://bucket (endpoint http://host:port)} or {@code local:/app/storage}. */
    String describe();

    @Override
    default void close() {
    }
}
