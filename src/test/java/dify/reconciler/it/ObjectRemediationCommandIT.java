package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A quarantine prefix that starts with a daemon prefix stops the process at start. (The object remedies' packaged round
 * trip on S3Proxy, the folder placeholders {@code plugin/} and {@code plugin/junjiem/} and the unarmed restore among
 * them, is {@link EveryStoreRoundTripIT}'s S3 case: one round trip on S3 in the default suite, not two.)
 */
class ObjectRemediationCommandIT {

    @Test
    void aQuarantinePrefixStartingWithADaemonPrefixIsRefusedAtStart() throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("objects-it-" + System.nanoTime());
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            Map<String, String> env = env(db, s3, bucket);
            // The daemon's GCS backend lists "plugin" as a raw prefix: this would be read as broken installed keys.
            env.put("RECONCILER_REMEDIATION_QUARANTINE_PREFIX", "plugin_reconciler/");
            PackagedApp.Outcome o = PackagedApp.run(env, "plan");
            assertEquals(2, o.exitCode(), o.stdout() + o.stderr());
            assertTrue(o.stderr().contains("reconciler.remediation.quarantine-prefix"), o.stderr());
        }
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned,invalid_installed_key,installed_object_missing");
        return env;
    }
}
