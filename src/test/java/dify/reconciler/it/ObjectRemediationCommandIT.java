package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
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
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Object remedies through the packaged commands on a real S3 API (S3Proxy): {@code plan} and an unarmed
 * {@code apply} change no object; armed, an orphaned package, an invalid installed key and the folder placeholders
 * {@code plugin/} and {@code plugin/junjiem/} are moved under the quarantine prefix and a missing installed copy is copied from its verified package (server-side copies), the
 * next scan is clean (the quarantine prefix is not drift), and {@code restore --all} puts back every object's
 * exact bytes. A quarantine prefix that starts with a daemon prefix stops the process at start.
 */
class ObjectRemediationCommandIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;

    @Test
    void objectsAreQuarantinedCopiedAndRestoredOnS3(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("objects-it-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket);
            assertEquals(0, PackagedApp.run(env, "scan").exitCode(), "the seeded dataset is clean");
            Map<String, List<String>> tables = TableDump.daemon(db);

            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            String invalid = LAYOUT.installed() + "langgenius/broken_0.0.1@abc";
            String lost = dataset.localPlugin(1).pkg().key(LAYOUT.installed());
            // The folder placeholders S3 consoles and copy tools create: empty objects the daemon lists under plugin/
            // and logs as an invalid (empty) identifier every 30 s: the case this product started from.
            String placeholder = LAYOUT.installed();
            // Not langgenius/: S3Proxy's filesystem backend keeps a placeholder as a folder whose modified time moves
            // when apply writes a copy below it, so apply (rightly) skips it as changed since the scan.
            String nestedPlaceholder = LAYOUT.installed() + "junjiem/";
            writer.put(orphan, "a package nobody declared");
            writer.put(invalid, "a key the daemon cannot parse");
            writer.put(placeholder, "");
            writer.put(nestedPlaceholder, "");
            client.deleteObject(b -> b.bucket(bucket).key(lost));
            Map<String, String> planted = objects(client, bucket);

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            JsonNode doc = JSON.readTree(planFile.toFile());
            assertEquals(5, doc.get("actions").size(), doc.toString());
            assertTrue(doc.get("actions").toString().contains("\"key\":\"" + placeholder + "\""), doc.toString());
            assertTrue(doc.get("actions").toString().contains("\"targetKey\":\"" + lost + "\""), doc.toString());
            assertEquals(planted, objects(client, bucket), "plan changes no object");

            PackagedApp.Outcome dry = PackagedApp.run(env, "apply", "--plan", planFile.toString());
            assertEquals(0, dry.exitCode(), dry.stdout() + dry.stderr());
            assertTrue(dry.stdout().contains("[DRY RUN] would quarantine_object " + orphan), dry.stdout());
            assertEquals(planted, objects(client, bucket), "an unarmed apply changes no object");

            Map<String, String> armed = EagerRemediation.armed(env);
            PackagedApp.Outcome apply = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(0, apply.exitCode(), apply.stdout() + apply.stderr());
            assertTrue(apply.stdout().contains("applied 5,"), apply.stdout());
            Map<String, String> expected = new TreeMap<>(planted);
            expected.put("reconciler-quarantine/" + orphan, expected.remove(orphan));
            expected.put("reconciler-quarantine/" + invalid, expected.remove(invalid));
            expected.put("reconciler-quarantine/" + placeholder, expected.remove(placeholder));
            expected.put("reconciler-quarantine/" + nestedPlaceholder, expected.remove(nestedPlaceholder));
            expected.put(lost, planted.get(dataset.localPlugin(1).pkg().key(LAYOUT.packages())));
            assertEquals(expected, objects(client, bucket), "only the targets changed");
            assertEquals(tables, TableDump.daemon(db), "object remedies change no row");

            PackagedApp.Outcome scan = PackagedApp.run(env, "scan", "--format", "json");
            assertEquals(0, scan.exitCode(), scan.stdout() + scan.stderr());
            assertEquals(0, JSON.readTree(scan.stdout()).get("summary").get("total").asInt(), scan.stdout());

            // Unarmed, restore lists what it would put back: each quarantined object once, nothing changed.
            PackagedApp.Outcome dryRestore = PackagedApp.run(env, "restore", "--all");
            assertEquals(0, dryRestore.exitCode(), dryRestore.stdout() + dryRestore.stderr());
            assertEquals(5, dryRestore.stdout().lines().filter(l -> l.startsWith("[DRY RUN] would restore")).count(),
                    dryRestore.stdout());
            assertEquals(1, dryRestore.stdout().lines().filter(l -> l.contains(orphan)).count(), dryRestore.stdout());
            assertEquals(expected, objects(client, bucket), "an unarmed restore changes no object");

            PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertTrue(restore.stdout().contains("Restored 5 of 5"), restore.stdout());
            assertEquals(planted, objects(client, bucket), "restore puts back every object's exact bytes");
            assertEquals(tables, TableDump.daemon(db));
        }
    }

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

    private static Map<String, String> objects(S3Client client, String bucket) {
        return BucketContents.of(client, bucket);
    }

}
