package dify.reconciler.config;

import dify.reconciler.inventory.storage.S3Dialect;
import dify.reconciler.inventory.storage.S3Settings;
import dify.reconciler.inventory.storage.StorageVariables;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach the bucket of an S3-compatible cloud (Aliyun OSS, Tencent COS, Huawei OBS, Volcengine TOS, Baidu BOS)
 * through its S3 API, derived from the daemon's own variables for that cloud only, so a daemon's Secret is enough.
 * The derivation follows host shapes, never a provider's domain name, so private and regional domains work; the scheme
 * and port the user gave are kept; {@code reconciler.storage.s3-endpoint} replaces the derived endpoint when a
 * provider moves its S3 API. Every refusal names the variable, never its value. {@link #toString()} hides the secret.
 *
 * @param type which of the five
 * @param endpoint the S3 API's endpoint (scheme, host, port), without the bucket
 * @param pathStyle whether the bucket goes in the path; otherwise in the host name ({@code <bucket>.<endpoint host>})
 * @param region the SigV4 signing region
 * @param bucket the bucket's name
 * @param root Aliyun's {@code ALIYUN_OSS_PATH} with one leading {@code /} trimmed (the daemon keeps every key K at
 *        {@code path.Join(root, K)}); empty for the others
 * @param dialect the conditional requests the provider honours and the variables to check on a refusal
 */
public record S3CompatibleSettings(StorageType type, URI endpoint, boolean pathStyle, String region, String accessKey,
        String secretKey, String bucket, String root, S3Dialect dialect) {

    /** The daemon's Baidu SDK (baiducloud-sdk-go) knows these regions, each at {@code <region>.bcebos.com}. */
    static final List<String> BAIDU_REGIONS = List.of("bj", "gz", "hk", "su", "bd");

    private static final Map<StorageType, String> PROVIDERS = Map.of(StorageType.ALIYUN_OSS, "Aliyun OSS",
            StorageType.TENCENT_COS, "Tencent COS", StorageType.HUAWEI_OBS, "Huawei OBS", StorageType.VOLCENGINE_TOS,
            "Volcengine TOS", StorageType.BAIDU_BOS, "Baidu BOS");

    /** Whether {@code type} is one of the five read through their S3-compatible API. */
    public static boolean covers(StorageType type) {
        return PROVIDERS.containsKey(type);
    }

    /**
     * @param endpointOverride {@code reconciler.storage.s3-endpoint}: replaces the derived endpoint (the daemon's
     *        variables are still required and checked where the daemon needs them)
     * @throws IllegalArgumentException naming the missing or wrong variable
     */
    public static S3CompatibleSettings from(StorageType type, StorageVariables variables, Optional<String> endpointOverride) {
        Optional<URI> override = endpointOverride.map(String::trim).filter(v -> !v.isEmpty())
                .map(v -> parseHost("reconciler.storage.s3-endpoint", v, null));
        return from(type, variables, override, false);
    }

    /**
     * Checks the daemon's variables at start-up, before our own configuration is read: an endpoint that can only
     * be derived with {@code reconciler.storage.s3-endpoint} is refused later, where the storage is opened.
     */
    public static void check(StorageType type, StorageVariables variables) {
        from(type, variables, Optional.empty(), true);
    }

    private static S3CompatibleSettings from(StorageType type, StorageVariables variables, Optional<URI> override,
            boolean endpointMayBeOverridden) {
        return switch (type) {
            case ALIYUN_OSS -> aliyun(variables, override);
            case TENCENT_COS -> tencent(variables, override);
            case HUAWEI_OBS -> huawei(variables, override);
            case VOLCENGINE_TOS -> volcengine(variables, override, endpointMayBeOverridden);
            case BAIDU_BOS -> baidu(variables, override);
            default -> throw new IllegalArgumentException(type.label() + " is not an S3-compatible cloud storage type");
        };
    }

    /** What the S3 client needs: a custom endpoint, static keys, no AWS credential chain. */
    public S3Settings s3Settings() {
        return new S3Settings(endpoint.toString(), pathStyle, false, accessKey, secretKey, region, bucket);
    }

    @Override
    public String toString() {
        return "S3CompatibleSettings[" + type.label() + ", endpoint=" + endpoint + ", pathStyle=" + pathStyle + ", region="
                + region + ", bucket=" + bucket + ", root=" + root + ", accessKey=" + accessKey + ", secretKey=***]";
    }

    // --- per provider, as issue 18 and the daemon's SDKs (dify-cloud-kit v0.1.3, the daemon's Baidu code) read them ---

    /**
     * Same host as {@code ALIYUN_OSS_ENDPOINT} (no scheme: http, as Aliyun's SDK), virtual-hosted, SigV4 with
     * {@code ALIYUN_OSS_REGION}. CloudBox has no S3 API.
     */
    private static S3CompatibleSettings aliyun(StorageVariables v, Optional<URI> override) {
        if (v.get("ALIYUN_OSS_CLOUDBOX_ID").isPresent()) {
            throw new IllegalArgumentException("ALIYUN_OSS_CLOUDBOX_ID is set: OSS on CloudBox has no S3-compatible API,"
                    + " which is how the reconciler reads Aliyun OSS; CloudBox buckets are not supported (unset it only if"
                    + " the daemon does not use CloudBox)");
        }
        String bucket = bucket(v);
        String endpoint = v.require("ALIYUN_OSS_ENDPOINT", "the OSS endpoint the daemon uses, e.g. oss-cn-hangzhou.aliyuncs.com");
        String key = v.require("ALIYUN_OSS_ACCESS_KEY_ID", "the AccessKey ID the daemon signs with");
        String secret = v.require("ALIYUN_OSS_ACCESS_KEY_SECRET", "the AccessKey secret the daemon signs with");
        // The daemon signs natively: v1 (ALIYUN_OSS_AUTH_VERSION=v1) needs no region, anything else is v4. The S3 API
        // signs with SigV4 only, so we need the region whichever the daemon uses.
        boolean daemonSignsV1 = v.get("ALIYUN_OSS_AUTH_VERSION").map("v1"::equals).orElse(false);
        String region = v.require("ALIYUN_OSS_REGION", "the bucket's region (e.g. cn-hangzhou): the S3-compatible API signs"
                + " with SigV4, which needs it" + (daemonSignsV1 ? " even though the daemon's ALIYUN_OSS_AUTH_VERSION=v1 does not" : ""));
        URI derived = parseHost("ALIYUN_OSS_ENDPOINT", endpoint, "http");
        String root = v.get("ALIYUN_OSS_PATH").map(p -> p.startsWith("/") ? p.substring(1) : p).orElse("");
        return new S3CompatibleSettings(StorageType.ALIYUN_OSS, override.orElse(derived), false, region, key, secret,
                bucket, root, aliyunDialect());
    }

    /**
     * Aliyun answers PutObject with If-Match/If-None-Match 400 NotImplemented (help.aliyun.com, error 0017-00000245);
     * {@code x-oss-forbid-overwrite: true} makes PutObject and CopyObject of an existing key fail with 409
     * FileAlreadyExists (error 0026-00000002). DeleteObject documents no precondition.
     */
    static S3Dialect aliyunDialect() {
        return new S3Dialect("Aliyun OSS", "check ALIYUN_OSS_ACCESS_KEY_ID / ALIYUN_OSS_ACCESS_KEY_SECRET and ALIYUN_OSS_REGION",
                false, false, "x-oss-forbid-overwrite");
    }

    /**
     * {@code TENCENT_COS_ENDPOINT} is the bucket's URL ({@code https://<bucket>.cos.<region>.myqcloud.com} by default,
     * from the bucket and {@code TENCENT_COS_REGION}); the S3 endpoint is that host without its first label (the
     * bucket), virtual-hosted. The region is required even with an endpoint, as by the daemon.
     */
    private static S3CompatibleSettings tencent(StorageVariables v, Optional<URI> override) {
        String id = v.require("TENCENT_COS_SECRET_ID", "the SecretId the daemon signs with");
        String secret = v.require("TENCENT_COS_SECRET_KEY", "the SecretKey the daemon signs with");
        String region = v.require("TENCENT_COS_REGION", "the bucket's region, e.g. ap-guangzhou (the daemon requires it too)");
        Optional<String> endpoint = v.get("TENCENT_COS_ENDPOINT");
        URI bucketUrl = endpoint.isPresent()
                ? parseHost("TENCENT_COS_ENDPOINT", endpoint.get(), null)
                : parseHost("PLUGIN_STORAGE_OSS_BUCKET", "https://" + bucket(v) + ".cos." + region + ".myqcloud.com", null);
        String host = bucketUrl.getHost();
        int dot = host.indexOf('.');
        if (dot <= 0 || dot == host.length() - 1 || isIpAddress(host)) {
            throw new IllegalArgumentException("TENCENT_COS_ENDPOINT must be the bucket's URL, https://<bucket>.<COS host>"
                    + " (e.g. https://<bucket>-<appid>.cos.<region>.myqcloud.com): its first host label is the bucket");
        }
        String bucket = host.substring(0, dot);
        URI derived = withHost(bucketUrl, host.substring(dot + 1));
        return new S3CompatibleSettings(StorageType.TENCENT_COS, override.orElse(derived), false, region, id, secret, bucket,
                "", S3Dialect.headCheckOnly("Tencent COS", "check TENCENT_COS_SECRET_ID / TENCENT_COS_SECRET_KEY and TENCENT_COS_REGION"));
    }

    /**
     * The same server as {@code HUAWEI_OBS_SERVER} (no scheme: https, as Huawei's SDK), addressing per
     * {@code HUAWEI_OBS_PATH_STYLE} (default false), the SigV4 region parsed from the host: its second label
     * ({@code obs.<region>.<domain>}).
     */
    private static S3CompatibleSettings huawei(StorageVariables v, Optional<URI> override) {
        String bucket = bucket(v);
        String key = v.require("HUAWEI_OBS_ACCESS_KEY", "the access key the daemon signs with");
        String secret = v.require("HUAWEI_OBS_SECRET_KEY", "the secret key the daemon signs with");
        URI server = parseHost("HUAWEI_OBS_SERVER", v.require("HUAWEI_OBS_SERVER", "the OBS endpoint, e.g."
                + " https://obs.cn-north-4.myhuaweicloud.com"), "https");
        boolean pathStyle = v.flag("HUAWEI_OBS_PATH_STYLE", false);
        String[] labels = server.getHost().split("\\.");
        if (labels.length < 3 || isIpAddress(server.getHost())) {
            throw new IllegalArgumentException("HUAWEI_OBS_SERVER has no region in its host: the S3-compatible API signs"
                    + " with SigV4, whose region is read from a host shaped obs.<region>.<domain>");
        }
        return new S3CompatibleSettings(StorageType.HUAWEI_OBS, override.orElse(server), pathStyle, labels[1], key, secret,
                bucket, "", S3Dialect.headCheckOnly("Huawei OBS", "check HUAWEI_OBS_ACCESS_KEY / HUAWEI_OBS_SECRET_KEY"));
    }

    /**
     * The native endpoint {@code VOLCENGINE_TOS_ENDPOINT} ({@code tos-<region>.<domain>}; no scheme: https, as the
     * daemon's SDK) maps to the S3 endpoint by turning the host's leading {@code tos-} into {@code tos-s3-};
     * virtual-hosted only.
     */
    private static S3CompatibleSettings volcengine(StorageVariables v, Optional<URI> override, boolean mayBeOverridden) {
        String bucket = bucket(v);
        String key = v.require("VOLCENGINE_TOS_ACCESS_KEY", "the access key the daemon signs with");
        String secret = v.require("VOLCENGINE_TOS_SECRET_KEY", "the secret key the daemon signs with");
        String region = v.require("VOLCENGINE_TOS_REGION", "the bucket's region, e.g. cn-beijing");
        URI nativeEndpoint = parseHost("VOLCENGINE_TOS_ENDPOINT", v.require("VOLCENGINE_TOS_ENDPOINT",
                "the TOS endpoint the daemon uses, e.g. tos-cn-beijing.volces.com"), "https");
        String host = nativeEndpoint.getHost();
        if (host.startsWith("tos-s3-")) {
            throw new IllegalArgumentException("VOLCENGINE_TOS_ENDPOINT is an S3 endpoint (tos-s3-…), which the daemon's TOS"
                    + " SDK refuses: set the native endpoint tos-<region>.<domain> the daemon needs; the reconciler derives"
                    + " the S3 one");
        }
        URI derived;
        if (host.startsWith("tos-")) {
            derived = withHost(nativeEndpoint, "tos-s3-" + host.substring("tos-".length()));
        } else if (override.isPresent() || mayBeOverridden) {
            derived = null;
        } else {
            throw new IllegalArgumentException("VOLCENGINE_TOS_ENDPOINT's host does not start with 'tos-', so its S3"
                    + " endpoint (tos-s3-…) cannot be derived: set reconciler.storage.s3-endpoint to the S3 endpoint");
        }
        return new S3CompatibleSettings(StorageType.VOLCENGINE_TOS, override.orElse(derived == null ? nativeEndpoint : derived), false,
                region, key, secret,
                bucket, "", S3Dialect.headCheckOnly("Volcengine TOS", "check VOLCENGINE_TOS_ACCESS_KEY / VOLCENGINE_TOS_SECRET_KEY"
                        + " and VOLCENGINE_TOS_REGION"));
    }

    /**
     * {@code BAIDU_BOS_ENDPOINT} is a bare {@code host[:port]} (the daemon's SDK puts {@code <bucket>.} in front and
     * speaks plain http), else {@code <BAIDU_BOS_REGION>.bcebos.com} for the regions the SDK knows; the S3 endpoint is
     * {@code s3.} + that host over http, virtual-hosted; the SigV4 region is {@code BAIDU_BOS_REGION}, else the host's
     * first label.
     */
    private static S3CompatibleSettings baidu(StorageVariables v, Optional<URI> override) {
        String bucket = bucket(v);
        String key = v.require("BAIDU_BOS_ACCESS_KEY", "the access key the daemon signs with");
        String secret = v.require("BAIDU_BOS_SECRET_KEY", "the secret key the daemon signs with");
        Optional<String> region = v.get("BAIDU_BOS_REGION");
        Optional<String> endpoint = v.get("BAIDU_BOS_ENDPOINT");
        String hostAndPort;
        if (endpoint.isPresent()) {
            if (endpoint.get().contains("://")) {
                throw new IllegalArgumentException("BAIDU_BOS_ENDPOINT must be a bare host[:port] without a scheme: the"
                        + " daemon's BOS SDK puts '<bucket>.' in front of it and speaks http, so with a scheme every request"
                        + " of the daemon goes to a host that does not exist");
            }
            hostAndPort = endpoint.get();
        } else if (region.isPresent()) {
            if (!BAIDU_REGIONS.contains(region.get())) {
                throw new IllegalArgumentException("BAIDU_BOS_REGION is not one the daemon's BOS SDK knows (" + String.join(", ",
                        BAIDU_REGIONS) + ") and BAIDU_BOS_ENDPOINT is not set");
            }
            hostAndPort = region.get() + ".bcebos.com";
        } else {
            throw new IllegalArgumentException("BAIDU_BOS_ENDPOINT is not set (nor BAIDU_BOS_REGION): the BOS host, e.g."
                    + " bj.bcebos.com");
        }
        URI bosHost = parseHost("BAIDU_BOS_ENDPOINT", hostAndPort, "http");
        URI derived = withHost(bosHost, "s3." + bosHost.getHost());
        String signingRegion = region.orElse(bosHost.getHost().split("\\.")[0]);
        return new S3CompatibleSettings(StorageType.BAIDU_BOS, override.orElse(derived), false, signingRegion, key, secret,
                bucket, "", baiduDialect());
    }

    /**
     * BOS's PutObject documents If-Match and If-None-Match (including {@code *}), answered 412 (cloud.baidu.com, BOS
     * API PutObject); its S3 compatibility list names no exception for them. DeleteObject documents none.
     */
    static S3Dialect baiduDialect() {
        return new S3Dialect("Baidu BOS", "check BAIDU_BOS_ACCESS_KEY / BAIDU_BOS_SECRET_KEY", true, false, null);
    }

    // --- host shapes ---

    private static String bucket(StorageVariables v) {
        return v.require("PLUGIN_STORAGE_OSS_BUCKET", "the bucket the daemon stores plugins in");
    }

    /**
     * {@code value} as scheme://host[:port]; without a scheme, {@code defaultScheme} (null: a scheme is required). A
     * path, query or user info is refused: none of the daemon's SDKs would use it as an endpoint.
     */
    static URI parseHost(String name, String value, String defaultScheme) {
        boolean hasScheme = value.matches("(?i)[a-z][a-z0-9+.-]*://.*");
        if (!hasScheme && defaultScheme == null) {
            throw new IllegalArgumentException(name + " must start with http:// or https://");
        }
        URI uri;
        try {
            uri = new URI(hasScheme ? value : defaultScheme + "://" + value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(name + " is not a valid URL or host[:port]");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException(name + " must use http or https");
        }
        if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
            throw new IllegalArgumentException(name + " must be scheme://host[:port] (or host[:port]), with no path,"
                    + " query or user");
        }
        return withHost(URI.create(scheme + "://" + uri.getRawAuthority()), uri.getHost());
    }

    /** The same scheme and port with another host. */
    static URI withHost(URI uri, String host) {
        return URI.create(uri.getScheme() + "://" + host + (uri.getPort() < 0 ? "" : ":" + uri.getPort()));
    }

    private static boolean isIpAddress(String host) {
        return host.matches("[0-9.]+") || host.startsWith("[");
    }
}
