package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DaemonSettingsTest {

    private static DaemonSettings from(Map<String, String> env) {
        return DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
    }

    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", "db");
        env.put("DB_USERNAME", "dify");
        return env;
    }

    private static Map<String, String> s3() {
        Map<String, String> env = minimal();
        env.put("PLUGIN_STORAGE_TYPE", "s3");
        env.put("PLUGIN_STORAGE_OSS_BUCKET", "plugins");
        env.put("AWS_REGION", "us-east-1");
        return env;
    }

    @Test
    void appliesTheDaemonsDefaults() {
        DaemonSettings s = from(minimal());
        assertEquals(5432, s.dbPort());
        assertEquals("dify_plugin", s.dbDatabase());
        assertEquals("disable", s.dbSslMode());
        assertEquals(StorageType.LOCAL, s.storageType());
        assertEquals(Path.of("storage"), s.localRoot());
        assertEquals("plugin_packages/", s.layout().packages());
        assertEquals("plugin/", s.layout().installed());
        assertEquals("assets/", s.layout().assets());
        assertEquals("persistence/", s.layout().persistence());
        assertTrue(s.s3UsePathStyle());
        assertTrue(s.s3UseAws());
    }

    @ParameterizedTest
    @CsvSource({"local,LOCAL", "local_file,LOCAL", "s3,S3", "aws_s3,S3", "aws-s3,S3", "AWS_S3,S3"})
    void acceptsTheDaemonsStorageAliases(String value, StorageType expected) {
        Map<String, String> env = s3();
        env.put("PLUGIN_STORAGE_TYPE", value);
        assertEquals(expected, from(env).storageType());
    }

    @Test
    void namesTheVariableOfAStorageTypeWeDoNotSupport() {
        Map<String, String> env = minimal();
        env.put("PLUGIN_STORAGE_TYPE", "aliyun_oss");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> from(env));
        assertTrue(e.getMessage().startsWith("PLUGIN_STORAGE_TYPE=aliyun_oss"), e.getMessage());
        env.put("PLUGIN_STORAGE_TYPE", "ftp");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> from(env)).getMessage().contains("not a storage type"));
    }

    @Test
    void namesEachMissingOrWrongSetting() {
        assertMessage(Map.of("DB_USERNAME", "x"), "DB_HOST is not set");
        Map<String, String> env = minimal();
        env.put("DB_PORT", "70000");
        assertMessage(env, "DB_PORT='70000'");
        env = minimal();
        env.put("DB_SSL_MODE", "sometimes");
        assertMessage(env, "DB_SSL_MODE='sometimes'");
        env = s3();
        env.remove("AWS_REGION");
        assertMessage(env, "AWS_REGION is not set");
        env = s3();
        env.remove("PLUGIN_STORAGE_OSS_BUCKET");
        assertMessage(env, "PLUGIN_STORAGE_OSS_BUCKET is not set");
        env = s3();
        env.put("S3_USE_AWS", "false");
        assertMessage(env, "S3_ENDPOINT is not set");
        env = s3();
        env.put("S3_USE_PATH_STYLE", "maybe");
        assertMessage(env, "S3_USE_PATH_STYLE='maybe'");
        env = s3();
        env.put("AWS_ACCESS_KEY", "AKIA");
        assertMessage(env, "AWS_ACCESS_KEY and AWS_SECRET_KEY must be set together");
    }

    @Test
    void neverShowsSecretsInItsDescriptions() {
        Map<String, String> env = s3();
        env.put("AWS_ACCESS_KEY", "AKIAEXAMPLE");
        env.put("AWS_SECRET_KEY", "very-secret");
        env.put("DB_PASSWORD", "db-secret");
        DaemonSettings s = from(env);
        String all = s.toString() + s.databaseDescription() + s.storageDescription();
        assertFalse(all.contains("very-secret"), all);
        assertFalse(all.contains("db-secret"), all);
    }

    @Test
    void normalisesPrefixesSoPluginNeverMatchesPluginPackages() {
        Map<String, String> env = minimal();
        env.put("PLUGIN_INSTALLED_PATH", "/plugin//");
        env.put("PLUGIN_PACKAGE_CACHE_PATH", "cache/packages/");
        DaemonSettings s = from(env);
        assertEquals("plugin/", s.layout().installed());
        assertEquals("cache/packages/", s.layout().packages());
    }

    private static void assertMessage(Map<String, String> env, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> from(env));
        assertTrue(e.getMessage().contains(expected), () -> "'" + e.getMessage() + "' should contain '" + expected + "'");
    }
}
