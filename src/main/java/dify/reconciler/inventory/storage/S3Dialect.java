package dify.reconciler.inventory.storage;

/**
 * What an S3-compatible service does with the conditional requests our guarded writes could send, and what to tell
 * a user whose keys are refused. Where a service does not honour a precondition we do not send it (a service may
 * reject a header it does not implement, failing every write) and rely on the HEAD check just before the request;
 * the window between the two is then documented per provider (README, "Storage backends").
 *
 * @param provider names the service in descriptions, e.g. {@code Aliyun OSS}; null for S3 itself
 * @param credentialsHint what to check when access is denied, naming the daemon's variables; null: the S3 wording
 * @param targetPreconditions {@code If-None-Match: *} / {@code If-Match} on the target of PutObject and CopyObject
 * @param deletePrecondition {@code If-Match} on DeleteObject
 * @param forbidOverwriteHeader a provider header meaning "fail if the key exists" (answered 409), sent on PutObject and
 *        CopyObject of a new key when {@code targetPreconditions} is false; null when none
 */
public record S3Dialect(String provider, String credentialsHint, boolean targetPreconditions, boolean deletePrecondition,
        String forbidOverwriteHeader) {

    /** Amazon S3 (and S3Proxy): every precondition sent. */
    public static final S3Dialect S3 = new S3Dialect(null, null, true, true, null);

    /** A provider that honours none of the write preconditions: HEAD check only. */
    public static S3Dialect headCheckOnly(String provider, String credentialsHint) {
        return new S3Dialect(provider, credentialsHint, false, false, null);
    }
}
