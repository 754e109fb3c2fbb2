package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dify.reconciler.testsupport.ObjectWriter;
import dify.reconciler.testsupport.S3CompatibleStore;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The storage contract on Aliyun OSS as the product opens it from the daemon's variables: S3Proxy virtual-hosted at
 * the {@code ALIYUN_OSS_ENDPOINT} host, every key under {@code ALIYUN_OSS_PATH=/dify/plugins}, no If-Match/If-None-Match
 * (Aliyun refuses them) but {@code x-oss-forbid-overwrite} and the HEAD check. After every test, the decoys outside the
 * root (a look-alike sibling {@code dify/plugins-old/…}, the bucket's own {@code plugin/…}, {@code dify/pluginsplugin_…})
 * hold their bytes and nothing else was written outside the root.
 */
class AliyunRootedObjectStorageTest extends ObjectStorageContract {

    private S3CompatibleStore store;

    @BeforeEach
    void open() {
        store = S3CompatibleStore.aliyun();
    }

    @AfterEach
    void decoysUntouchedAndNothingWrittenOutsideTheRoot() {
        try {
            Map<String, String> outside = new TreeMap<>(store.contents());
            outside.keySet().removeIf(key -> key.startsWith("dify/plugins/"));
            Map<String, String> decoys = new TreeMap<>();
            String decoyHash = sha256(S3CompatibleStore.DECOY_CONTENT);
            store.decoys().forEach(key -> decoys.put(key, decoyHash));
            assertEquals(decoys, outside, "outside ALIYUN_OSS_PATH: exactly the decoys, with their bytes");
        } finally {
            store.close();
        }
    }

    static String sha256(String content) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    ObjectStorage storage() {
        return store.storage();
    }

    @Override
    ObjectWriter writer() {
        return store.writer();
    }
}
