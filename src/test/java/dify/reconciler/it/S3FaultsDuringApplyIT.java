package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.FaultyHttpProxy;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TableDump;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * An armed apply against an S3 that fails (a fault-injecting proxy in front of S3Proxy, the packaged jar): when
 * every delete answers 503, the action fails (exit 1, audited {@code failed}), no object is lost (the original
 * is still at its key), and {@code recover} removes the quarantine copy it left, giving back exactly the bucket
 * as it was; once S3 answers again the same plan applies. Transient 503s on every other request are retried and
 * change nothing in the outcome.
 */
class S3FaultsDuringApplyIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;

    @Test
    void aFailingS3FailsTheActionLosesNothingAndRecoverCleansUp(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("faults-apply-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                FaultyHttpProxy proxy = FaultyHttpProxy.to(s3.endpoint())) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            writer.put(orphan, "a package nobody declared");
            Map<String, String> planted = objects(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);

            Map<String, String> env = db.ownerS3Environment(s3, bucket);
            env.put("S3_ENDPOINT", proxy.endpoint().toString());
            EagerRemediation.on(env);
            env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned");
            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            Map<String, String> armed = EagerRemediation.armed(env);

            // Every delete fails, retries included.
            proxy.policy(r -> r.method().equals("DELETE") ? new Fault.Status(503) : Fault.PASS);
            PackagedApp.Outcome failed = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(1, failed.exitCode(), failed.stdout() + failed.stderr());
            assertTrue(failed.stdout().contains("failed 1"), failed.stdout());
            assertEquals(planted.get(orphan), objects(client, bucket).get(orphan), "the original is still at its key");
            assertEquals(1L, DaemonRows.on(db).queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions"
                    + " WHERE outcome = 'failed' AND object_key = ?", orphan));

            // S3 answers again: recover removes what the failed action left, so the bucket is exactly as it was.
            proxy.policy(r -> Fault.PASS);
            PackagedApp.Outcome recover = PackagedApp.run(armed, "recover");
            assertEquals(0, recover.exitCode(), recover.stdout() + recover.stderr());
            assertEquals(planted, objects(client, bucket), "no object lost, none left twice");
            assertEquals(tables, TableDump.daemon(db));

            // Transient 503s (every other request) are retried: the same plan now applies.
            proxy.policy(r -> r.number() % 2 == 0 ? new Fault.Status(503) : Fault.PASS);
            PackagedApp.Outcome applied = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(0, applied.exitCode(), applied.stdout() + applied.stderr());
            assertTrue(applied.stdout().contains("applied 1,"), applied.stdout());
            assertTrue(proxy.faults() > 0, "faults were injected");
            Map<String, String> after = objects(client, bucket);
            assertEquals(planted.get(orphan), after.get("reconciler-quarantine/" + orphan), "moved to quarantine, bytes intact");
            assertTrue(!after.containsKey(orphan), "and gone from its key");
        }
    }

    private static Map<String, String> objects(S3Client client, String bucket) {
        return BucketContents.of(client, bucket);
    }
}
