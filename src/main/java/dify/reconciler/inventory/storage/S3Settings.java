package dify.reconciler.inventory.storage;

/**
 * How to reach the daemon's bucket, mirroring the daemon's own variables and the way its storage library
 * (dify-cloud-kit v0.1.0 and later) reads them, so both can share one ConfigMap/Secret.
 *
 * @param endpoint {@code S3_ENDPOINT}; nullable. Required when {@code useAws} is false; with {@code useAws}
 *        it overrides the AWS endpoint when set (as the daemon does)
 * @param usePathStyle {@code S3_USE_PATH_STYLE} (the daemon's default: true); applied whatever {@code useAws}
 *        says, as the daemon applies it: a chart pointing at MinIO may set only {@code S3_ENDPOINT} and this
 * @param useAws {@code S3_USE_AWS}; false means a custom S3-compatible endpoint (MinIO, Ceph, ...)
 * @param useManagedIam {@code S3_USE_AWS_MANAGED_IAM}; with {@code useAws}, the static keys are ignored and the
 *        default AWS credential chain is used (instance profile, web identity, …). The daemon's custom-endpoint
 *        branch ignores it, and so do we
 * @param accessKey {@code AWS_ACCESS_KEY}; empty together with {@code secretKey} means the default AWS
 *        credential chain (environment {@code AWS_ACCESS_KEY_ID}, profile, web identity, instance role)
 * @param secretKey {@code AWS_SECRET_KEY}; never printed, see {@link #toString()}
 * @param region {@code AWS_REGION}; required (S3 signs requests with it)
 * @param bucket {@code PLUGIN_STORAGE_OSS_BUCKET}; required
 */
public record S3Settings(String endpoint, boolean usePathStyle, boolean useAws, boolean useManagedIam, String accessKey,
        String secretKey, String region, String bucket) {

    /** Where the S3 client's credentials come from. */
    public enum Credentials {
        /** {@code AWS_ACCESS_KEY} and {@code AWS_SECRET_KEY}. */
        STATIC_KEYS,
        /** The AWS SDK's default chain: environment, system properties, web identity, profile, container, instance role. */
        DEFAULT_CHAIN
    }

    public S3Settings {
        endpoint = blankToNull(endpoint);
        accessKey = accessKey == null ? "" : accessKey;
        secretKey = secretKey == null ? "" : secretKey;
        if (region == null || region.isBlank()) {
            throw new IllegalArgumentException("AWS_REGION is required for S3 storage");
        }
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("PLUGIN_STORAGE_OSS_BUCKET is required for S3 storage");
        }
        if (!useAws && endpoint == null) {
            throw new IllegalArgumentException("S3_ENDPOINT is required when S3_USE_AWS=false");
        }
        // Half a key pair is a mistake whatever the credential source: the daemon would sign with it.
        if (accessKey.isEmpty() != secretKey.isEmpty() && !(useAws && useManagedIam)) {
            throw new IllegalArgumentException(
                    "set both AWS_ACCESS_KEY and AWS_SECRET_KEY, or neither to use the default AWS credential chain");
        }
    }

    /** Static keys, no managed IAM. */
    public S3Settings(String endpoint, boolean usePathStyle, boolean useAws, String accessKey, String secretKey,
            String region, String bucket) {
        this(endpoint, usePathStyle, useAws, false, accessKey, secretKey, region, bucket);
    }

    /**
     * The daemon's choice: the default chain when both keys are empty or, on AWS, when managed IAM is on
     * (the static keys are then ignored even if set); the static keys otherwise.
     */
    public Credentials credentials() {
        return accessKey.isEmpty() || (useAws && useManagedIam) ? Credentials.DEFAULT_CHAIN : Credentials.STATIC_KEYS;
    }

    /** Whether the client addresses the bucket in the path ({@code endpoint/bucket/key}) rather than the host name. */
    public boolean forcePathStyle() {
        return usePathStyle;
    }

    /** Without the secret key: records print every component by default, and settings end up in logs. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", usePathStyle=" + usePathStyle + ", useAws=" + useAws
                + ", useManagedIam=" + useManagedIam + ", accessKey=" + accessKey
                + ", secretKey=" + (secretKey.isEmpty() ? "" : "***") + ", region=" + region + ", bucket=" + bucket + "]";
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
