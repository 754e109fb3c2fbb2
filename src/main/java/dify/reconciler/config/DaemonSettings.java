package dify.reconciler.config;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.storage.GcsSettings;
import dify.reconciler.inventory.storage.StorageVariables;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The plugin daemon's own settings, read under the daemon's variable names and with the daemon's defaults,
 * so the reconciler can share the daemon's ConfigMap and Secret. Built by {@link #from}, which fails with a
 * message naming the variable when a value is missing or wrong. {@link #toString()} never shows secrets.
 *
 * @param dbType the daemon's {@code DB_TYPE}: {@code postgresql} or {@code pgbouncer}
 * @param dbOptions libpq options from {@code DB_EXTRAS} (e.g. {@code -c search_path=plugins}); empty when none
 * @param localRoot the absolute folder read for {@code local} storage: {@code PLUGIN_STORAGE_LOCAL_ROOT}, resolved
 *        against the daemon's working directory when relative (never against ours)
 * @param localRootSetting {@code PLUGIN_STORAGE_LOCAL_ROOT} as given (default {@code storage})
 * @param storageVariables every other storage variable of the daemon, read by the backend's own settings class
 */
public record DaemonSettings(
        String dbHost,
        int dbPort,
        String dbUsername,
        String dbDatabase,
        String dbSslMode,
        DatabaseType dbType,
        String dbOptions,
        StorageType storageType,
        String bucket,
        Path localRoot,
        String localRootSetting,
        String s3Endpoint,
        boolean s3UsePathStyle,
        boolean s3UseAws,
        boolean s3UseManagedIam,
        String awsAccessKey,
        String awsSecretKey,
        String awsRegion,
        StorageLayout layout,
        StorageVariables storageVariables) {

    /** The daemon's working directory in its images, against which it resolves a relative local root. */
    public static final Path DAEMON_IMAGE_WORKING_DIRECTORY = Path.of("/app");

    /** As {@link #from(Function, Path)} with the daemon images' working directory, {@code /app}. */
    public static DaemonSettings from(Function<String, Optional<String>> lookup) {
        return from(lookup, DAEMON_IMAGE_WORKING_DIRECTORY);
    }

    /**
     * @param lookup the value of a variable by its exact daemon name ({@code DB_HOST}, …), empty when unset
     * @param daemonWorkingDirectory the daemon's working directory ({@code reconciler.daemon-working-directory}),
     *        absolute: a relative {@code PLUGIN_STORAGE_LOCAL_ROOT} is the daemon's path, not ours
     */
    public static DaemonSettings from(Function<String, Optional<String>> lookup, Path daemonWorkingDirectory) {
        Function<String, Optional<String>> get = name -> lookup.apply(name).map(String::trim).filter(v -> !v.isEmpty());
        String dbHost = get.apply("DB_HOST").orElseThrow(() -> missing("DB_HOST", "the plugin daemon's PostgreSQL host"));
        int dbPort = parsePort(get.apply("DB_PORT").orElse("5432"));
        String dbUser = get.apply("DB_USERNAME").orElseThrow(() -> missing("DB_USERNAME", "the PostgreSQL user"));
        String dbName = get.apply("DB_DATABASE").orElse("dify_plugin");
        String sslMode = get.apply("DB_SSL_MODE").orElse("disable").toLowerCase(Locale.ROOT);
        if (!Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full").contains(sslMode)) {
            throw new IllegalArgumentException("DB_SSL_MODE='" + sslMode
                    + "' is not one of disable, allow, prefer, require, verify-ca, verify-full");
        }
        DatabaseType dbType = DatabaseType.parse(get.apply("DB_TYPE").orElse("postgresql"));
        String dbOptions = JdbcConnectionProperties.libpqOptions(get.apply("DB_EXTRAS").orElse(""));
        StorageType type = StorageType.parse(get.apply("PLUGIN_STORAGE_TYPE").orElse("local"));
        StorageLayout layout = StorageLayout.of(
                get.apply("PLUGIN_PACKAGE_CACHE_PATH").orElse("plugin_packages"),
                get.apply("PLUGIN_INSTALLED_PATH").orElse("plugin"),
                get.apply("PLUGIN_MEDIA_CACHE_PATH").orElse("assets"),
                get.apply("PERSISTENCE_STORAGE_PATH").orElse("persistence"));
        if (type.daemonListsRawPrefixes()) {
            layout = layout.listedAsRawPrefixes();
        }
        String bucket = get.apply("PLUGIN_STORAGE_OSS_BUCKET").orElse("");
        String localRootSetting = get.apply("PLUGIN_STORAGE_LOCAL_ROOT").orElse("storage");
        Path localRoot = resolveLocalRoot(localRootSetting, daemonWorkingDirectory);
        boolean usePathStyle = parseBoolean("S3_USE_PATH_STYLE", get.apply("S3_USE_PATH_STYLE").orElse("true"));
        boolean useAws = parseBoolean("S3_USE_AWS", get.apply("S3_USE_AWS").orElse("true"));
        boolean managedIam = parseBoolean("S3_USE_AWS_MANAGED_IAM", get.apply("S3_USE_AWS_MANAGED_IAM").orElse("false"));
        String endpoint = get.apply("S3_ENDPOINT").orElse(null);
        String accessKey = get.apply("AWS_ACCESS_KEY").orElse("");
        String secretKey = get.apply("AWS_SECRET_KEY").orElse("");
        String region = get.apply("AWS_REGION").orElse("");
        if (type == StorageType.S3) {
            if (bucket.isEmpty()) {
                throw missing("PLUGIN_STORAGE_OSS_BUCKET", "the bucket the daemon stores plugins in");
            }
            if (region.isEmpty()) {
                throw missing("AWS_REGION", "the S3 region (any value, e.g. us-east-1, for S3-compatible servers)");
            }
            if (!useAws && endpoint == null) {
                throw missing("S3_ENDPOINT", "required when S3_USE_AWS=false");
            }
            if (endpoint != null && !endpoint.matches("(?i)https?://.+")) {
                throw new IllegalArgumentException("S3_ENDPOINT='" + endpoint + "' must start with http:// or https://");
            }
            if (accessKey.isEmpty() != secretKey.isEmpty() && !(useAws && managedIam)) {
                throw new IllegalArgumentException("AWS_ACCESS_KEY and AWS_SECRET_KEY must be set together"
                        + " (or both left empty to use the default AWS credential chain)");
            }
        }
        StorageVariables storageVariables = new StorageVariables(lookup);
        checkBackendVariables(type, storageVariables);
        return new DaemonSettings(dbHost, dbPort, dbUser, dbName, sslMode, dbType, dbOptions, type, bucket, localRoot,
                localRootSetting, endpoint, usePathStyle, useAws, managedIam, accessKey, secretKey, region, layout,
                storageVariables);
    }

    /**
     * Stops start-up on a missing or wrong variable of the backends that keep their settings in their own class
     * (each parses them again where it builds its client; parsing is cheap and has no side effect).
     */
    private static void checkBackendVariables(StorageType type, StorageVariables variables) {
        switch (type) {
            // One line per backend whose settings class reads StorageVariables.
            case ALIYUN_OSS, TENCENT_COS, HUAWEI_OBS, VOLCENGINE_TOS, BAIDU_BOS -> S3CompatibleSettings.check(type, variables);
            case AZURE_BLOB -> dify.reconciler.inventory.storage.AzureBlobSettings.from(variables);
            case GCS -> GcsSettings.from(variables);
            default -> {
            }
        }
    }

    /** The PostgreSQL driver properties {@code DB_TYPE} and {@code DB_EXTRAS} ask for; see {@link JdbcConnectionProperties}. */
    public Map<String, String> jdbcProperties() {
        return JdbcConnectionProperties.of(dbType, dbOptions);
    }

    /** Where the database is, for logs and reports (no password). */
    /**
     * Which database this is, without the user or connection options: a remediation plan made as one user is
     * applied as another (the writer), and must be refused only on another database.
     */
    public String databaseIdentity() {
        return "postgresql://" + dbHost + ":" + dbPort + "/" + dbDatabase;
    }

    public String databaseDescription() {
        return "postgresql://" + dbHost + ":" + dbPort + "/" + dbDatabase + " (user " + dbUsername + ", sslmode " + dbSslMode
                + (dbType == DatabaseType.PGBOUNCER ? ", through pgbouncer" : "")
                + (dbOptions.isEmpty() ? "" : ", options '" + dbOptions + "'") + ")";
    }

    /** Where the storage is, for logs and reports (no keys): for local storage, the absolute folder read. */
    public String storageDescription() {
        if (storageType == StorageType.LOCAL) {
            return "local:" + localRoot + (Path.of(localRootSetting).isAbsolute()
                    ? ""
                    : " (PLUGIN_STORAGE_LOCAL_ROOT=" + localRootSetting
                            + " relative to the daemon's working directory, reconciler.daemon-working-directory)");
        }
        return switch (storageType) {
            case GCS -> "gs://" + bucket;
            case S3 -> "s3://" + bucket + (s3Endpoint == null ? "" : " at " + s3Endpoint);
            // Where the daemon's own variables say; no endpoint here carries a credential (a connection string would).
            case AZURE_BLOB -> "azure_blob container " + storageVariables.get("AZURE_BLOB_STORAGE_CONTAINER_NAME", "?");
            default -> storageType.label() + " bucket " + bucket + storageVariables.get("ALIYUN_OSS_PATH")
                    .filter(path -> storageType == StorageType.ALIYUN_OSS).map(path -> " under " + path).orElse("");
        };
    }

    @Override
    public String toString() {
        return "DaemonSettings[" + databaseDescription() + ", " + storageDescription() + ", layout=" + layout + "]";
    }

    private static IllegalArgumentException missing(String name, String what) {
        return new IllegalArgumentException(name + " is not set: " + what);
    }

    /**
     * The daemon opens a relative root against its own working directory ({@code /app} in its images); resolving
     * it against ours would read some other folder, or none, and report everything as missing.
     */
    static Path resolveLocalRoot(String setting, Path daemonWorkingDirectory) {
        if (daemonWorkingDirectory == null || !daemonWorkingDirectory.isAbsolute()) {
            throw new IllegalArgumentException("reconciler.daemon-working-directory='" + daemonWorkingDirectory
                    + "' must be an absolute path (the plugin daemon's working directory, /app in its images)");
        }
        Path root;
        try {
            root = Path.of(setting);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("PLUGIN_STORAGE_LOCAL_ROOT='" + setting + "' is not a valid path", e);
        }
        return daemonWorkingDirectory.resolve(root).normalize();
    }

    private static int parsePort(String value) {
        try {
            int port = Integer.parseInt(value);
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
            return port;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("DB_PORT='" + value + "' is not a TCP port", e);
        }
    }

    /** The daemon's boolean spellings: see {@link StorageVariables#parseBoolean}. */
    static boolean parseBoolean(String name, String value) {
        return StorageVariables.parseBoolean(name, value);
    }
}
