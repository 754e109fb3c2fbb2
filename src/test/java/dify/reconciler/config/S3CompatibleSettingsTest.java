package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.inventory.storage.StorageVariables;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The S3 API each S3-compatible cloud is read through, derived from the daemon's variables only. */
class S3CompatibleSettingsTest {

    private static final String SECRET = "s3cr3t-value-never-printed";

    private static Map<String, String> aliyun() {
        return new HashMap<>(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "bkt", "ALIYUN_OSS_ENDPOINT", "oss-cn-hangzhou.aliyuncs.com",
                "ALIYUN_OSS_REGION", "cn-hangzhou", "ALIYUN_OSS_ACCESS_KEY_ID", "id", "ALIYUN_OSS_ACCESS_KEY_SECRET", SECRET));
    }

    private static Map<String, String> tencent() {
        return new HashMap<>(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "bkt-1250000000", "TENCENT_COS_REGION", "ap-guangzhou",
                "TENCENT_COS_SECRET_ID", "id", "TENCENT_COS_SECRET_KEY", SECRET));
    }

    private static Map<String, String> huawei() {
        return new HashMap<>(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "bkt", "HUAWEI_OBS_SERVER", "https://obs.cn-north-4.myhuaweicloud.com",
                "HUAWEI_OBS_ACCESS_KEY", "id", "HUAWEI_OBS_SECRET_KEY", SECRET));
    }

    private static Map<String, String> volcengine() {
        return new HashMap<>(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "bkt", "VOLCENGINE_TOS_ENDPOINT", "tos-cn-beijing.volces.com",
                "VOLCENGINE_TOS_REGION", "cn-beijing", "VOLCENGINE_TOS_ACCESS_KEY", "id", "VOLCENGINE_TOS_SECRET_KEY", SECRET));
    }

    private static Map<String, String> baidu() {
        return new HashMap<>(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "bkt", "BAIDU_BOS_REGION", "gz", "BAIDU_BOS_ACCESS_KEY", "id",
                "BAIDU_BOS_SECRET_KEY", SECRET));
    }

    private static S3CompatibleSettings derive(StorageType type, Map<String, String> env) {
        return derive(type, env, null);
    }

    private static S3CompatibleSettings derive(StorageType type, Map<String, String> env, String override) {
        return S3CompatibleSettings.from(type, new StorageVariables(name -> Optional.ofNullable(env.get(name))),
                Optional.ofNullable(override));
    }

    private static String refusal(StorageType type, Map<String, String> env) {
        String message = assertThrows(IllegalArgumentException.class, () -> derive(type, env)).getMessage();
        assertFalse(message.contains(SECRET), message);
        return message;
    }

    @Test
    void aliyunUsesTheSameHostVirtualHostedOverHttpWhenNoSchemeIsGiven() {
        S3CompatibleSettings s = derive(StorageType.ALIYUN_OSS, aliyun());
        assertEquals(URI.create("http://oss-cn-hangzhou.aliyuncs.com"), s.endpoint());
        assertFalse(s.pathStyle());
        assertEquals("cn-hangzhou", s.region());
        assertEquals("bkt", s.bucket());
        assertEquals("", s.root());
        assertFalse(s.dialect().targetPreconditions(), "Aliyun answers If-Match/If-None-Match on PutObject 400 NotImplemented");
        assertEquals("x-oss-forbid-overwrite", s.dialect().forbidOverwriteHeader());
    }

    @Test
    void aliyunKeepsTheSchemeAndPortGivenAndTrimsOneLeadingSlashOfItsPath() {
        Map<String, String> env = aliyun();
        env.put("ALIYUN_OSS_ENDPOINT", "https://oss.internal.example:8443");
        env.put("ALIYUN_OSS_PATH", "//x/y");
        S3CompatibleSettings s = derive(StorageType.ALIYUN_OSS, env);
        assertEquals(URI.create("https://oss.internal.example:8443"), s.endpoint());
        assertEquals("/x/y", s.root(), "one leading slash trimmed, as the daemon does");
        env.put("ALIYUN_OSS_PATH", "/x/y");
        assertEquals("x/y", derive(StorageType.ALIYUN_OSS, env).root());
    }

    @Test
    void aliyunRefusesCloudBoxAndNamesEveryMissingVariable() {
        Map<String, String> env = aliyun();
        env.put("ALIYUN_OSS_CLOUDBOX_ID", "cb-123");
        assertTrue(refusal(StorageType.ALIYUN_OSS, env).startsWith("ALIYUN_OSS_CLOUDBOX_ID is set: OSS on CloudBox has no S3"));
        for (String name : new String[] {"PLUGIN_STORAGE_OSS_BUCKET", "ALIYUN_OSS_ENDPOINT", "ALIYUN_OSS_REGION",
                "ALIYUN_OSS_ACCESS_KEY_ID", "ALIYUN_OSS_ACCESS_KEY_SECRET"}) {
            Map<String, String> missing = aliyun();
            missing.remove(name);
            assertTrue(refusal(StorageType.ALIYUN_OSS, missing).startsWith(name + " is not set"), name);
        }
    }

    @Test
    void aliyunAuthVersionIsReadAsTheDaemonReadsIt() {
        Map<String, String> env = aliyun();
        env.remove("ALIYUN_OSS_REGION");
        env.put("ALIYUN_OSS_AUTH_VERSION", "v1");
        assertTrue(refusal(StorageType.ALIYUN_OSS, env).contains("even though the daemon's ALIYUN_OSS_AUTH_VERSION=v1 does not"));
        env.put("ALIYUN_OSS_AUTH_VERSION", "V1"); // only exactly "v1" is V1 to the daemon; anything else is v4
        assertFalse(refusal(StorageType.ALIYUN_OSS, env).contains("AUTH_VERSION"));
    }

    @Test
    void tencentDropsTheBucketLabelOfTheBucketUrl() {
        Map<String, String> env = tencent();
        S3CompatibleSettings byDefault = derive(StorageType.TENCENT_COS, env);
        assertEquals(URI.create("https://cos.ap-guangzhou.myqcloud.com"), byDefault.endpoint());
        assertEquals("bkt-1250000000", byDefault.bucket());
        assertFalse(byDefault.pathStyle());
        assertEquals("ap-guangzhou", byDefault.region());

        env.put("TENCENT_COS_ENDPOINT", "http://other-1250000000.cos.private.example:8080");
        S3CompatibleSettings explicit = derive(StorageType.TENCENT_COS, env);
        assertEquals(URI.create("http://cos.private.example:8080"), explicit.endpoint());
        assertEquals("other-1250000000", explicit.bucket(), "the daemon writes to the bucket its URL names");
    }

    @Test
    void tencentNeedsItsRegionEvenWithAnEndpointAndABucketUrl() {
        Map<String, String> env = tencent();
        env.put("TENCENT_COS_ENDPOINT", "https://bkt-1250000000.cos.ap-guangzhou.myqcloud.com");
        env.remove("TENCENT_COS_REGION");
        assertTrue(refusal(StorageType.TENCENT_COS, env).startsWith("TENCENT_COS_REGION is not set"));
        env.put("TENCENT_COS_REGION", "ap-guangzhou");
        env.put("TENCENT_COS_ENDPOINT", "bkt.cos.ap-guangzhou.myqcloud.com");
        assertTrue(refusal(StorageType.TENCENT_COS, env).startsWith("TENCENT_COS_ENDPOINT must start with http"));
        env.put("TENCENT_COS_ENDPOINT", "https://localhost");
        assertTrue(refusal(StorageType.TENCENT_COS, env).startsWith("TENCENT_COS_ENDPOINT must be the bucket's URL"));
        env.remove("TENCENT_COS_ENDPOINT");
        env.remove("PLUGIN_STORAGE_OSS_BUCKET");
        assertTrue(refusal(StorageType.TENCENT_COS, env).startsWith("PLUGIN_STORAGE_OSS_BUCKET is not set"));
    }

    @Test
    void huaweiReadsTheRegionFromTheServersHostAndHonoursPathStyle() {
        Map<String, String> env = huawei();
        S3CompatibleSettings s = derive(StorageType.HUAWEI_OBS, env);
        assertEquals(URI.create("https://obs.cn-north-4.myhuaweicloud.com"), s.endpoint());
        assertEquals("cn-north-4", s.region());
        assertFalse(s.pathStyle(), "HUAWEI_OBS_PATH_STYLE defaults to false");

        env.put("HUAWEI_OBS_SERVER", "obs.ap-southeast-1.private.example:9000");
        env.put("HUAWEI_OBS_PATH_STYLE", "true");
        s = derive(StorageType.HUAWEI_OBS, env);
        assertEquals(URI.create("https://obs.ap-southeast-1.private.example:9000"), s.endpoint(), "no scheme: https");
        assertEquals("ap-southeast-1", s.region());
        assertTrue(s.pathStyle());

        env.put("HUAWEI_OBS_PATH_STYLE", "maybe");
        assertTrue(refusal(StorageType.HUAWEI_OBS, env).startsWith("HUAWEI_OBS_PATH_STYLE='maybe' is not a boolean"));
        env.put("HUAWEI_OBS_PATH_STYLE", "false");
        env.put("HUAWEI_OBS_SERVER", "http://10.0.0.5:9000");
        assertTrue(refusal(StorageType.HUAWEI_OBS, env).startsWith("HUAWEI_OBS_SERVER has no region in its host"));
        env.remove("HUAWEI_OBS_SERVER");
        assertTrue(refusal(StorageType.HUAWEI_OBS, env).startsWith("HUAWEI_OBS_SERVER is not set"));
    }

    @Test
    void volcengineTurnsTheNativeTosHostIntoItsS3HostOverHttpsByDefault() {
        Map<String, String> env = volcengine();
        S3CompatibleSettings s = derive(StorageType.VOLCENGINE_TOS, env);
        assertEquals(URI.create("https://tos-s3-cn-beijing.volces.com"), s.endpoint());
        assertFalse(s.pathStyle(), "TOS's S3 API is virtual-hosted only");
        assertEquals("cn-beijing", s.region());

        env.put("VOLCENGINE_TOS_ENDPOINT", "http://tos-cn-test.private.example:8080");
        assertEquals(URI.create("http://tos-s3-cn-test.private.example:8080"), derive(StorageType.VOLCENGINE_TOS, env).endpoint());

        env.put("VOLCENGINE_TOS_ENDPOINT", "tos-s3-cn-beijing.volces.com");
        assertTrue(refusal(StorageType.VOLCENGINE_TOS, env).startsWith("VOLCENGINE_TOS_ENDPOINT is an S3 endpoint"));
        env.put("VOLCENGINE_TOS_ENDPOINT", "storage.example.com");
        assertTrue(refusal(StorageType.VOLCENGINE_TOS, env).contains("set reconciler.storage.s3-endpoint"));
        assertEquals(URI.create("https://s3.example.com"),
                derive(StorageType.VOLCENGINE_TOS, env, "https://s3.example.com").endpoint(), "the override needs no derivation");
        env.remove("VOLCENGINE_TOS_REGION");
        assertTrue(refusal(StorageType.VOLCENGINE_TOS, env).startsWith("VOLCENGINE_TOS_REGION is not set"));
    }

    @Test
    void baiduPutsS3InFrontOfItsHostOverHttpFromTheEndpointOrTheRegion() {
        Map<String, String> env = baidu();
        S3CompatibleSettings s = derive(StorageType.BAIDU_BOS, env);
        assertEquals(URI.create("http://s3.gz.bcebos.com"), s.endpoint());
        assertEquals("gz", s.region());
        assertFalse(s.pathStyle());
        assertTrue(s.dialect().targetPreconditions(), "BOS documents If-Match/If-None-Match on PutObject");
        assertFalse(s.dialect().deletePrecondition());

        env.remove("BAIDU_BOS_REGION");
        env.put("BAIDU_BOS_ENDPOINT", "su.bcebos.com:8080");
        s = derive(StorageType.BAIDU_BOS, env);
        assertEquals(URI.create("http://s3.su.bcebos.com:8080"), s.endpoint());
        assertEquals("su", s.region(), "without BAIDU_BOS_REGION, the host's first label");

        env.put("BAIDU_BOS_ENDPOINT", "https://su.bcebos.com");
        assertTrue(refusal(StorageType.BAIDU_BOS, env).startsWith("BAIDU_BOS_ENDPOINT must be a bare host[:port] without a scheme"));
        env.remove("BAIDU_BOS_ENDPOINT");
        assertTrue(refusal(StorageType.BAIDU_BOS, env).startsWith("BAIDU_BOS_ENDPOINT is not set (nor BAIDU_BOS_REGION)"));
        env.put("BAIDU_BOS_REGION", "sh");
        assertTrue(refusal(StorageType.BAIDU_BOS, env).startsWith("BAIDU_BOS_REGION is not one the daemon's BOS SDK knows"));
        env.put("BAIDU_BOS_REGION", "bj");
        env.remove("BAIDU_BOS_SECRET_KEY");
        assertTrue(refusal(StorageType.BAIDU_BOS, env).startsWith("BAIDU_BOS_SECRET_KEY is not set"));
    }

    @Test
    void theOverrideReplacesTheDerivedEndpointAndMustBeAUrl() {
        assertEquals(URI.create("https://s3.oss-cn-hangzhou.aliyuncs.com:444"),
                derive(StorageType.ALIYUN_OSS, aliyun(), " https://s3.oss-cn-hangzhou.aliyuncs.com:444 ").endpoint());
        assertEquals(URI.create("http://10.1.2.3:9000"), derive(StorageType.BAIDU_BOS, baidu(), "http://10.1.2.3:9000").endpoint());
        String message = assertThrows(IllegalArgumentException.class,
                () -> derive(StorageType.TENCENT_COS, tencent(), "cos.example.com")).getMessage();
        assertTrue(message.startsWith("reconciler.storage.s3-endpoint must start with http"), message);
        message = assertThrows(IllegalArgumentException.class,
                () -> derive(StorageType.TENCENT_COS, tencent(), "https://cos.example.com/some/path")).getMessage();
        assertTrue(message.startsWith("reconciler.storage.s3-endpoint must be scheme://host[:port]"), message);
    }

    @Test
    void everyAliasOfTheFiveTypesIsSupportedAndDerivesItsProvider() {
        Map<StorageType, Map<String, String>> envs = Map.of(StorageType.ALIYUN_OSS, aliyun(), StorageType.TENCENT_COS, tencent(),
                StorageType.HUAWEI_OBS, huawei(), StorageType.VOLCENGINE_TOS, volcengine(), StorageType.BAIDU_BOS, baidu());
        int aliases = 0;
        for (var entry : envs.entrySet()) {
            for (String alias : entry.getKey().aliases()) {
                StorageType parsed = StorageType.parse(alias);
                assertEquals(entry.getKey(), parsed, alias);
                assertTrue(S3CompatibleSettings.covers(parsed), alias);
                Map<String, String> env = new HashMap<>(entry.getValue());
                env.put("PLUGIN_STORAGE_TYPE", alias);
                env.put("DB_HOST", "db");
                env.put("DB_USERNAME", "u");
                DaemonSettings settings = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
                assertEquals(entry.getKey(), S3CompatibleSettings.from(settings.storageType(), settings.storageVariables(),
                        Optional.empty()).type());
                aliases++;
            }
        }
        assertEquals(13, aliases, "aliyun_oss/aliyun/aliyun-oss, tencent_cos/tencent/tencent-cos, huawei_obs/huawei/huawei-obs,"
                + " volcengine_tos/volcengine/volcengine-tos, baidu_bos");
    }

    @Test
    void aWrongVariableStopsStartUpNamingItWithoutItsValue() {
        Map<String, String> env = huawei();
        env.put("PLUGIN_STORAGE_TYPE", "huawei");
        env.put("DB_HOST", "db");
        env.put("DB_USERNAME", "u");
        env.remove("HUAWEI_OBS_ACCESS_KEY");
        String message = assertThrows(IllegalArgumentException.class,
                () -> DaemonSettings.from(name -> Optional.ofNullable(env.get(name)))).getMessage();
        assertTrue(message.startsWith("HUAWEI_OBS_ACCESS_KEY is not set"), message);
        assertFalse(message.contains(SECRET), message);
    }

    @Test
    void theSecretIsNeverPrinted() {
        for (S3CompatibleSettings s : new S3CompatibleSettings[] {derive(StorageType.ALIYUN_OSS, aliyun()),
                derive(StorageType.TENCENT_COS, tencent()), derive(StorageType.HUAWEI_OBS, huawei()),
                derive(StorageType.VOLCENGINE_TOS, volcengine()), derive(StorageType.BAIDU_BOS, baidu())}) {
            assertFalse(s.toString().contains(SECRET), s.toString());
            assertFalse(s.s3Settings().toString().contains(SECRET), s.s3Settings().toString());
        }
    }
}
