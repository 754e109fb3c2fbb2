package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import java.util.Map;

/**
 * One storage backend as a daemon would use it, on a real test server (S3Proxy, Azurite, the GCS test server, a
 * folder): a fresh, empty bucket (container, folder) per instance. The tests written once against this interface
 * (the drift catalog, the remediation round trip through the packaged commands) run on every backend listed in
 * {@link StoresUnderTest}.
 */
public interface StoreUnderTest extends AutoCloseable {

    /** The {@code PLUGIN_STORAGE_TYPE} value this backend is configured with, e.g. {@code aws_s3}, {@code azure_blob}. */
    String storageType();

    /**
     * The daemon's storage variables for this bucket ({@code PLUGIN_STORAGE_TYPE} and its companions, exactly as a
     * daemon's Secret would hold them), to be merged into a reconciler's environment. Mutable copy.
     */
    Map<String, String> daemonEnvironment();

    /** Our adapter for the same bucket, built from {@link #daemonEnvironment()} as the product builds it. */
    ObjectStorage storage();

    /** Writes as the daemon would, under the daemon's key (a backend with a root prefix adds it). */
    ObjectWriter writer();

    /** Removes a daemon key behind our back, as an operator or a crash would. */
    void delete(String key);

    /**
     * Every object in the whole bucket, read directly with the backend's own client (not through our adapter), key
     * (the store's full key, root prefix included) to the SHA-256 of its bytes: two snapshots are equal exactly when
     * the bucket holds the same keys with the same bytes, decoys outside the daemon's root included.
     */
    Map<String, String> contents();

    /**
     * Where the backend stores the daemon's key {@code daemonKey}, as {@link #contents()} names it: the same key,
     * except on a backend with a root prefix (Aliyun's {@code ALIYUN_OSS_PATH}).
     */
    default String storeKey(String daemonKey) {
        return daemonKey;
    }

    /**
     * The version tag the backend's own client reads for {@code key} (S3's ETag, Azure's ETag, GCS's generation), or
     * null where the store has none (a folder): what a finding's observed version must carry.
     */
    String nativeVersionTag(String key);

    @Override
    default void close() {
    }
}
