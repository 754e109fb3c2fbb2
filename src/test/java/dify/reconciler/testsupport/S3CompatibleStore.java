package dify.reconciler.testsupport;

import dify.reconciler.inventory.storage.GoPath;
import dify.reconciler.inventory.storage.ObjectStorage;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One of the S3-compatible clouds (Aliyun OSS, Tencent COS, Huawei OBS, Volcengine TOS, Baidu BOS) as its daemon is
 * configured, on an S3Proxy serving that provider's test host name virtual-hosted ({@code <bucket>.<host>}, names in
 * {@code /etc/hosts}, added by {@code .ci/run}). Each provider has one fixed bucket (host names cannot be wildcards), emptied
 * when a store opens: one open store per provider at a time. Aliyun keeps the daemon's keys under an
 * {@code ALIYUN_OSS_PATH} root and has decoys outside it ({@link #decoys()}) that must never be reported or touched.
 */
public final class S3CompatibleStore implements StoreUnderTest {

    /** Bytes of every decoy: a test that finds them changed knows something outside the root was written. */
    public static final String DECOY_CONTENT = "decoy outside ALIYUN_OSS_PATH: never to be read, listed or touched";

    private final String storageType;
    private final String bucket;
    private final String root;
    private final List<String> decoys;
    private final S3ProxyServer s3;
    private final Map<String, String> environment;
    private final ObjectStorage storage;

    private S3CompatibleStore(String storageType, String virtualHost, String bucket, String root, List<String> decoys,
            IntFunction<Map<String, String>> environment) {
        this.storageType = storageType;
        this.bucket = bucket;
        this.root = root;
        this.decoys = decoys;
        this.s3 = S3ProxyServer.sharedVirtualHost(virtualHost, bucket + "." + virtualHost);
        this.environment = environment.apply(s3.endpoint().getPort());
        empty();
        decoys.forEach(key -> s3.client().putObject(b -> b.bucket(bucket).key(key),
                RequestBody.fromString(DECOY_CONTENT, StandardCharsets.UTF_8)));
        this.storage = StoresUnderTest.productStorage(daemonEnvironment());
    }

    /** {@code ALIYUN_OSS_PATH=/dify/plugins} (stored under {@code dify/plugins/}), with decoys in a look-alike sibling and at the bucket's root. */
    public static S3CompatibleStore aliyun() {
        String host = "oss-cn-test.aliyun.test";
        return new S3CompatibleStore("aliyun_oss", host, "dify-plugins", "dify/plugins",
                List.of("dify/plugins-old/plugin/langgenius/decoy:0.0.1@d1", "plugin/langgenius/decoy:0.0.1@d2",
                        "dify/pluginsplugin_packages/langgenius/decoy:0.0.1@d3"),
                port -> withKeys(Map.of("PLUGIN_STORAGE_TYPE", "aliyun_oss", "PLUGIN_STORAGE_OSS_BUCKET", "dify-plugins",
                        "ALIYUN_OSS_ENDPOINT", "http://" + host + ":" + port, "ALIYUN_OSS_REGION", "cn-test",
                        "ALIYUN_OSS_AUTH_VERSION", "v4", "ALIYUN_OSS_PATH", "/dify/plugins"),
                        "ALIYUN_OSS_ACCESS_KEY_ID", "ALIYUN_OSS_ACCESS_KEY_SECRET"));
    }

    /** The bucket URL {@code TENCENT_COS_ENDPOINT}; S3 at its host without the bucket label. */
    public static S3CompatibleStore tencent() {
        String host = "cos.ap-test.tencent.test";
        String bucket = "dify-plugins-1250000000";
        return new S3CompatibleStore("tencent", host, bucket, "", List.of(),
                port -> withKeys(Map.of("PLUGIN_STORAGE_TYPE", "tencent", "PLUGIN_STORAGE_OSS_BUCKET", bucket,
                        "TENCENT_COS_ENDPOINT", "http://" + bucket + "." + host + ":" + port, "TENCENT_COS_REGION", "ap-test"),
                        "TENCENT_COS_SECRET_ID", "TENCENT_COS_SECRET_KEY"));
    }

    /** {@code HUAWEI_OBS_SERVER}, virtual-hosted ({@code HUAWEI_OBS_PATH_STYLE=false}), region from the host. */
    public static S3CompatibleStore huawei() {
        String host = "obs.cn-test-1.huawei.test";
        return new S3CompatibleStore("huawei-obs", host, "dify-plugins", "", List.of(),
                port -> withKeys(Map.of("PLUGIN_STORAGE_TYPE", "huawei-obs", "PLUGIN_STORAGE_OSS_BUCKET", "dify-plugins",
                        "HUAWEI_OBS_SERVER", "http://" + host + ":" + port, "HUAWEI_OBS_PATH_STYLE", "false"),
                        "HUAWEI_OBS_ACCESS_KEY", "HUAWEI_OBS_SECRET_KEY"));
    }

    /** The native {@code VOLCENGINE_TOS_ENDPOINT} {@code tos-cn-test…}; S3 at {@code tos-s3-cn-test…}. */
    public static S3CompatibleStore volcengine() {
        String host = "tos-s3-cn-test.volces.test";
        return new S3CompatibleStore("volcengine_tos", host, "dify-plugins", "", List.of(),
                port -> withKeys(Map.of("PLUGIN_STORAGE_TYPE", "volcengine_tos", "PLUGIN_STORAGE_OSS_BUCKET", "dify-plugins",
                        "VOLCENGINE_TOS_ENDPOINT", "http://tos-cn-test.volces.test:" + port, "VOLCENGINE_TOS_REGION", "cn-test"),
                        "VOLCENGINE_TOS_ACCESS_KEY", "VOLCENGINE_TOS_SECRET_KEY"));
    }

    /** The bare {@code BAIDU_BOS_ENDPOINT} host:port; S3 at {@code s3.} + host over http. */
    public static S3CompatibleStore baidu() {
        String host = "s3.bj.bcebos.test";
        return new S3CompatibleStore("baidu_bos", host, "dify-plugins", "", List.of(),
                port -> withKeys(Map.of("PLUGIN_STORAGE_TYPE", "baidu_bos", "PLUGIN_STORAGE_OSS_BUCKET", "dify-plugins",
                        "BAIDU_BOS_ENDPOINT", "bj.bcebos.test:" + port, "BAIDU_BOS_REGION", "bj"),
                        "BAIDU_BOS_ACCESS_KEY", "BAIDU_BOS_SECRET_KEY"));
    }

    private static Map<String, String> withKeys(Map<String, String> env, String accessKeyVariable, String secretKeyVariable) {
        Map<String, String> all = new HashMap<>(env);
        all.put(accessKeyVariable, S3ProxyServer.ACCESS_KEY);
        all.put(secretKeyVariable, S3ProxyServer.SECRET_KEY);
        return all;
    }

    /** The bucket's objects outside the daemon's root (Aliyun), seeded at open; empty for the others. */
    public List<String> decoys() {
        return decoys;
    }

    /** Where the daemon stores its key {@code key}: {@code path.Join(root, key)} (the key itself without a root). */
    @Override
    public String storeKey(String key) {
        return root.isEmpty() ? key : GoPath.join(root, key);
    }

    /** The bucket's name, for direct checks with {@link S3ProxyServer#client()}. */
    public String bucket() {
        return bucket;
    }

    public S3ProxyServer server() {
        return s3;
    }

    @Override
    public String storageType() {
        return storageType;
    }

    @Override
    public Map<String, String> daemonEnvironment() {
        return new HashMap<>(environment);
    }

    @Override
    public ObjectStorage storage() {
        return storage;
    }

    @Override
    public ObjectWriter writer() {
        return (key, content) -> s3.client().putObject(b -> b.bucket(bucket).key(storeKey(key)), RequestBody.fromBytes(content));
    }

    @Override
    public void delete(String key) {
        s3.client().deleteObject(b -> b.bucket(bucket).key(storeKey(key)));
    }

    @Override
    public Map<String, String> contents() {
        return BucketContents.of(s3.client(), bucket);
    }

    /** The ETag S3's own client reads for the daemon's key {@code key} (at its place under the root). */
    @Override
    public String nativeVersionTag(String key) {
        return s3.client().headObject(b -> b.bucket(bucket).key(storeKey(key))).eTag();
    }

    @Override
    public void close() {
        storage.close();
    }

    private void empty() {
        if (s3.client().listBuckets().buckets().stream().noneMatch(b -> b.name().equals(bucket))) {
            s3.createBucket(bucket);
            return;
        }
        for (S3Object o : s3.client().listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            s3.client().deleteObject(b -> b.bucket(bucket).key(o.key()));
        }
    }

    @Override
    public String toString() {
        return storageType + " s3://" + bucket + (root.isEmpty() ? "" : "/" + root + "/") + " on S3Proxy at " + s3.hostEndpoint();
    }
}
