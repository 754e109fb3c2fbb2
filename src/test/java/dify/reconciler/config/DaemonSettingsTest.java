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
        assertEquals(Path.of("/app/storage"), s.localRoot());
        assertEquals("plugin_packages/", s.layout().packages());
        assertEquals("plugin/", s.layout().installed());
        assertEquals("assets/", s.layout().assets());
        assertEquals("persistence/", s.layout().persistence());
        assertTrue(s.s3UsePathStyle());
        assertTrue(s.s3UseAws());
    }

    /** Every value the daemon's storage factory accepts (dify-cloud-kit v0.1.3, plus the daemon's baidu_bos), with its canonical name. */
    @ParameterizedTest
    @CsvSource({
            "local,local", "local_file,local",
            "s3,s3", "aws_s3,s3", "aws-s3,s3",
            "azure,azure_blob", "azure_blob,azure_blob", "azure-blob,azure_blob",
            "aliyun,aliyun_oss", "aliyun-oss,aliyun_oss", "aliyun_oss,aliyun_oss",
            "tencent,tencent_cos", "tencent_cos,tencent_cos", "tencent-cos,tencent_cos",
            "gcs,gcs", "google-storage,gcs", "google_storage,gcs",
            "huawei,huawei_obs", "huawei-obs,huawei_obs", "huawei_obs,huawei_obs",
            "volcengine,volcengine_tos", "volcengine_tos,volcengine_tos", "volcengine-tos,volcengine_tos",
            "baidu_bos,baidu_bos"})
    void recognisesEveryStorageAliasOfTheDaemon(String value, String canonical) {
        Map<String, String> env = s3();
        env.put("PLUGIN_STORAGE_TYPE", value);
        StorageType type = StorageType.parse(value);
        assertEquals(canonical, type.label());
        String ownPrefix = OWN_VARIABLES.get(type);
        if (ownPrefix == null) { // local, s3 and gcs start with what s3() holds (gcs needs only the bucket)
            assertEquals(canonical, from(env).storageType().label());
            return;
        }
        // Supported, with variables of its own (tested with its settings class): with only S3_* variables, start-up
        // stops naming one of them, never another backend's.
        String message = assertThrows(IllegalArgumentException.class, () -> from(env)).getMessage();
        assertTrue(message.startsWith(ownPrefix) && message.contains(" is not set: "), message);
    }

    private static final Map<StorageType, String> OWN_VARIABLES = Map.of(StorageType.AZURE_BLOB, "AZURE_BLOB_STORAGE_",
            StorageType.ALIYUN_OSS, "ALIYUN_OSS_", StorageType.TENCENT_COS, "TENCENT_COS_", StorageType.HUAWEI_OBS,
            "HUAWEI_OBS_", StorageType.VOLCENGINE_TOS, "VOLCENGINE_TOS_", StorageType.BAIDU_BOS, "BAIDU_BOS_");

    @ParameterizedTest
    @CsvSource({"AWS_S3", "Local", "S3", "azureblob", "ftp"})
    void rejectsAStorageTypeTheDaemonWouldRejectAndListsTheAcceptedOnes(String value) {
        Map<String, String> env = s3();
        env.put("PLUGIN_STORAGE_TYPE", value);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> from(env));
        assertEquals("PLUGIN_STORAGE_TYPE='" + value + "' is not a storage type the plugin daemon accepts (exact,"
                + " case-sensitive): local, local_file, s3, aws_s3, aws-s3, azure_blob, azure, azure-blob, aliyun_oss,"
                + " aliyun, aliyun-oss, tencent_cos, tencent, tencent-cos, gcs, google-storage, google_storage,"
                + " huawei_obs, huawei, huawei-obs, volcengine_tos, volcengine, volcengine-tos, baidu_bos", e.getMessage());
    }

    @Test
    void readsPgbouncerAsPostgresqlWithoutServerSidePreparedStatements() {
        assertEquals(DatabaseType.POSTGRESQL, from(minimal()).dbType());
        assertEquals(Map.of(), from(minimal()).jdbcProperties());
        Map<String, String> env = minimal();
        env.put("DB_TYPE", "pgbouncer");
        DaemonSettings s = from(env);
        assertEquals(DatabaseType.PGBOUNCER, s.dbType());
        assertEquals(Map.of("prepareThreshold", "0"), s.jdbcProperties());
        assertTrue(s.databaseDescription().contains("through pgbouncer"), s.databaseDescription());
    }

    @ParameterizedTest
    @CsvSource({"mysql", "oceanbase", "seekdb"})
    void refusesTheMysqlFamilyByName(String type) {
        Map<String, String> env = minimal();
        env.put("DB_TYPE", type);
        assertMessage(env, "DB_TYPE=" + type + ": " + type + " is not supported (the reconciler reads PostgreSQL only");
    }

    @Test
    void refusesADatabaseTypeTheDaemonWouldRejectAndListsTheAcceptedOnes() {
        Map<String, String> env = minimal();
        env.put("DB_TYPE", "postgres");
        assertMessage(env, "DB_TYPE='postgres' is not a database type the plugin daemon accepts (exact, case-sensitive):"
                + " postgresql, pgbouncer, mysql, oceanbase, seekdb");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-c search_path=plugins|-c search_path=plugins",
            "options=-c search_path=plugins|-c search_path=plugins",
            "-c search_path=plugins -c statement_timeout=0|-c search_path=plugins -c statement_timeout=0"})
    void passesDbExtrasAsLibpqOptionsAsTheDaemonDoes(String extras, String options) {
        Map<String, String> env = minimal();
        env.put("DB_EXTRAS", extras);
        env.put("DB_PASSWORD", "db-secret");
        DaemonSettings s = from(env);
        assertEquals(options, s.dbOptions());
        assertEquals(Map.of("options", options), s.jdbcProperties());
        assertEquals("postgresql://db:5432/dify_plugin (user dify, sslmode disable, options '" + options + "')",
                s.databaseDescription());
    }

    @Test
    void resolvesARelativeLocalRootAgainstTheDaemonsWorkingDirectoryNotOurs() {
        Map<String, String> env = minimal();
        DaemonSettings s = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)), Path.of("/srv/daemon"));
        assertEquals(Path.of("/srv/daemon/storage"), s.localRoot());
        assertEquals("storage", s.localRootSetting());
        assertEquals("local:/srv/daemon/storage (PLUGIN_STORAGE_LOCAL_ROOT=storage relative to the daemon's working"
                + " directory, reconciler.daemon-working-directory)", s.storageDescription());

        assertEquals(Path.of("/app/storage"), from(minimal()).localRoot());
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", "./data/../files");
        assertEquals(Path.of("/srv/daemon/files"),
                DaemonSettings.from(name -> Optional.ofNullable(env.get(name)), Path.of("/srv/daemon")).localRoot());
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", "/mnt/plugins");
        DaemonSettings absolute = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)), Path.of("/srv/daemon"));
        assertEquals(Path.of("/mnt/plugins"), absolute.localRoot());
        assertEquals("local:/mnt/plugins", absolute.storageDescription());
    }

    @Test
    void refusesARelativeDaemonWorkingDirectory() {
        Map<String, String> env = minimal();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DaemonSettings.from(name -> Optional.ofNullable(env.get(name)), Path.of("app")));
        assertTrue(e.getMessage().startsWith("reconciler.daemon-working-directory='app' must be an absolute path"),
                e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"t,true", "T,true", "1,true", "TRUE,true", "f,false", "F,false", "0,false", "False,false"})
    void readsBooleansAsTheDaemonsGoParserDoes(String value, boolean expected) {
        Map<String, String> env = s3();
        env.put("S3_USE_PATH_STYLE", value);
        assertEquals(expected, from(env).s3UsePathStyle());
    }

    @Test
    void managedIamOnAwsNeedsNoKeyPair() {
        Map<String, String> env = s3();
        env.put("S3_USE_AWS_MANAGED_IAM", "true");
        env.put("AWS_ACCESS_KEY", "left-over-from-an-old-secret");
        assertTrue(from(env).s3UseManagedIam());
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
