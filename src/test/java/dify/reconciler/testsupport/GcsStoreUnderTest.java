package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A fresh bucket on the shared {@link GcsTestServer}, reached as a user reaches an emulator: the daemon's {@code gcs}
 * with {@code STORAGE_EMULATOR_HOST} (no credentials). The out-of-band writer and the contents go straight to the
 * server's memory, not through Google's client or our adapter.
 */
final class GcsStoreUnderTest implements StoreUnderTest {

    private final GcsTestServer gcs = GcsTestServer.shared();
    private final String bucket = gcs.createBucket("store-" + UUID.randomUUID().toString().substring(0, 8));
    private final ObjectStorage storage = StoresUnderTest.productStorage(daemonEnvironment());

    @Override
    public String storageType() {
        return "gcs";
    }

    @Override
    public Map<String, String> daemonEnvironment() {
        Map<String, String> env = new java.util.HashMap<>();
        env.put("PLUGIN_STORAGE_TYPE", storageType());
        env.put("PLUGIN_STORAGE_OSS_BUCKET", bucket);
        env.put("STORAGE_EMULATOR_HOST", gcs.endpoint().getAuthority());
        return env;
    }

    @Override
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public ObjectWriter writer() {
        return (key, content) -> gcs.put(bucket, key, content);
    }

    @Override
    public void delete(String key) {
        gcs.remove(bucket, key);
    }

    @Override
    public Map<String, String> contents() {
        Map<String, String> all = new LinkedHashMap<>();
        gcs.contents(bucket).forEach((key, bytes) -> all.put(key, sha256(bytes)));
        return all;
    }

    /** Our adapter's version tag on GCS is the object's MD5 as GCS gives it (a copy keeps it; a generation would not). */
    @Override
    public String nativeVersionTag(String key) {
        String md5 = gcs.md5Hash(bucket, key);
        return md5 == null ? null : "md5:" + md5;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        storage.close();
        gcs.deleteBucket(bucket);
    }

    @Override
    public String toString() {
        return "gs://" + bucket + " on the GCS test server";
    }
}
