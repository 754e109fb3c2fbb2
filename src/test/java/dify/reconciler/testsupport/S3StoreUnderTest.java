package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.ObjectStorage;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** A fresh bucket on the shared S3Proxy, path-style, static keys: the daemon's {@code aws_s3} with {@code S3_ENDPOINT}. */
final class S3StoreUnderTest implements StoreUnderTest {

    private final S3ProxyServer s3 = S3ProxyServer.shared();
    private final String bucket = s3.createBucket("store-" + UUID.randomUUID().toString().substring(0, 8));
    private final ObjectStorage storage = StoresUnderTest.productStorage(daemonEnvironment());

    @Override
    public String storageType() {
        return "aws_s3";
    }

    @Override
    public Map<String, String> daemonEnvironment() {
        Map<String, String> env = new HashMap<>();
        env.put("PLUGIN_STORAGE_TYPE", storageType());
        env.put("PLUGIN_STORAGE_OSS_BUCKET", bucket);
        env.put("S3_ENDPOINT", s3.endpoint().toString());
        env.put("S3_USE_AWS", "false");
        env.put("S3_USE_PATH_STYLE", "true");
        env.put("AWS_ACCESS_KEY", s3.accessKey());
        env.put("AWS_SECRET_KEY", s3.secretKey());
        env.put("AWS_REGION", s3.region());
        return env;
    }

    @Override
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public ObjectWriter writer() {
        return new S3ObjectWriter(s3.client(), bucket);
    }

    @Override
    public void delete(String key) {
        s3.client().deleteObject(b -> b.bucket(bucket).key(key));
    }

    @Override
    public Map<String, String> contents() {
        return BucketContents.of(s3.client(), bucket);
    }

    @Override
    public String nativeVersionTag(String key) {
        return s3.client().headObject(b -> b.bucket(bucket).key(key)).eTag();
    }

    @Override
    public void close() {
        storage.close();
    }

    @Override
    public String toString() {
        return "s3://" + bucket + " on S3Proxy";
    }
}
