package dify.reconciler.inventory.storage;

/**
 * How to reach the daemon's bucket, mirroring the daemon's own variables so both can share one
 * ConfigMap/Secret.
 *
 * @param endpoint {@code S3_ENDPOINT}; nullable. Required when {@code useAws} is false; with {@code useAws}
 *        it overrides the AWS endpoint when set (as the daemon does)
 * @param usePathStyle {@code S3_USE_PATH_STYLE}; like the daemon, applied only to a custom endpoint
 *        ({@code useAws} false): the daemon's AWS branch ignores it and uses virtual-hosted addressing
 * @param useAws {@code S3_USE_AWS}; false means a custom S3-compatible endpoint (MinIO, Ceph, ...)
 * @param accessKey {@code AWS_ACCESS_KEY}; empty together with {@code secretKey} means the default AWS
 *        credential chain (environment, profile, web identity, instance role)
 * @param secretKey {@code AWS_SECRET_KEY}; never printed, see {@link #toString()}
 * @param region {@code AWS_REGION}; required (S3 signs requests with it)
 * @param bucket {@code PLUGIN_STORAGE_OSS_BUCKET}; required
 */
public record S3Settings(String endpoint, boolean usePathStyle, boolean useAws, String accessKey, String secretKey,
        String region, String bucket) {

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
        if (accessKey.isEmpty() != secretKey.isEmpty()) {
            throw new IllegalArgumentException(
                    "set both AWS_ACCESS_KEY and AWS_SECRET_KEY, or neither to use the default AWS credential chain");
        }
    }

    /** True when no static keys are configured and the default AWS credential chain applies. */
    public boolean useDefaultCredentials() {
        return accessKey.isEmpty();
    }

    /** Without the secret key: records print every component by default, and settings end up in logs. */
    @Override
    public String toString() {
        return "S3Settings[endpoint=" + endpoint + ", usePathStyle=" + usePathStyle + ", useAws=" + useAws
                + ", accessKey=" + accessKey + ", secretKey=" + (secretKey.isEmpty() ? "" : "***")
                + ", region=" + region + ", bucket=" + bucket + "]";
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
