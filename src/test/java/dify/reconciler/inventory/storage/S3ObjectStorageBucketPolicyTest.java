package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.BucketPolicy;
import dify.reconciler.testsupport.BucketPolicyProxy;
import dify.reconciler.testsupport.S3ProxyServer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The requests S3ObjectStorage makes besides listings and reads stay inside the documented least-privilege bucket
 * policy (a {@code s3:ListBucket} only with an allowed {@code s3:prefix}): the readiness probe lists the package
 * prefix, and the bucket check behind a HEAD that answers 404 lists the key itself, never the whole bucket.
 */
class S3ObjectStorageBucketPolicyTest {

    @Test
    void theReadinessProbeAndTheBucketCheckAfterAMissingKeyAreAllowedByTheReadmePolicies() {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("policy-" + System.nanoTime());
        try (BucketPolicyProxy proxy = BucketPolicyProxy.to(s3.endpoint(),
                BucketPolicy.read(Path.of("docs/bucket-policy-report.json"), bucket))) {
            S3Settings settings = new S3Settings(proxy.endpoint().toString(), true, false, s3.accessKey(), s3.secretKey(),
                    s3.region(), bucket);
            try (S3ObjectStorage storage = S3ObjectStorage.create(settings, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP,
                    "plugin_packages/")) {
                assertTrue(storage.head("plugin/langgenius/absent:0.0.1@c").isEmpty());
                storage.checkReachable();
            }
            assertEquals(List.of(), proxy.denied());
            assertEquals(List.of("HeadObject", "ListObjectsV2", "ListObjectsV2"),
                    proxy.calls().stream().map(c -> c.request().operation()).toList(), proxy.calls().toString());

            // A missing quarantine key checked first: the armed policy's listing of the quarantine prefix is needed.
            proxy.enforce(BucketPolicy.read(Path.of("docs/bucket-policy-armed.json"), bucket));
            try (S3ObjectStorage storage = S3ObjectStorage.create(settings, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP,
                    "plugin_packages/")) {
                assertTrue(storage.head("reconciler-quarantine/plugin/langgenius/absent:0.0.1@c").isEmpty());
            }
            assertEquals(List.of(), proxy.denied());
            assertEquals(List.of("HeadObject", "ListObjectsV2"), proxy.calls().stream().map(c -> c.request().operation()).toList());
            assertEquals("reconciler-quarantine/plugin/langgenius/absent:0.0.1@c", proxy.calls().get(1).request().query().get("prefix"));

            // The proxy does enforce: the whole bucket may not be listed under this policy.
            try (S3ObjectStorage unprefixed = S3ObjectStorage.create(settings, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP, null)) {
                StorageException e = assertThrows(StorageException.class,
                        unprefixed::checkReachable);
                assertTrue(e.getMessage().startsWith("access denied to bucket '" + bucket + "'"), e.getMessage());
            }
        }
    }
}
