package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@code plugin_unreferenced} killed between its two steps, on the packaged jar and S3Proxy: an armed
 * {@code apply} halted at {@code plugin_unreferenced:rows-quarantined} (a JVM halt, like SIGKILL) leaves the
 * rows committed in quarantine and {@code plugin/U} in place (the runtime would keep running without a plugins
 * row). An unarmed {@code recover} only says it would complete it; an armed one moves {@code plugin/U} to
 * quarantine under the same action id, once; {@code restore --all} then gives back the object and the rows
 * exactly as planted.
 */
class UninstallCrashRecoveryIT {

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    static final String STEP = "plugin_unreferenced:rows-quarantined";

    @Test
    void aPluginUnreferencedKilledBetweenItsRowsAndPluginUIsCompletedByRecoverAndRestoredExactly(@TempDir Path tmp)
            throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("uninstall-crash-it-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket);
            // No scan of the seeded dataset first (a launch): ScanCommandIT proves a seeded DifyDataset scans clean, and
            // the plan below must hold exactly the planted actions.

            // The last tenant uninstalled by hand: the plugins row (refers 0), its declaration and plugin/U are left.
            BuiltPackage pkg = DifyPackageBuilder.aPackage().author("langgenius").name("leftover").version("0.0.1").build();
            String uid = pkg.identifier();
            String installed = pkg.key(LAYOUT.installed());
            writer.put(pkg.key(LAYOUT.packages()), pkg.bytes());
            writer.put(installed, pkg.bytes());
            DaemonRows.on(db).insertDeclaration(uid, "langgenius/leftover", "{\"name\":\"leftover\"}");
            DaemonRows.on(db).insertPlugin(uid, "langgenius/leftover", 0, "local", null);
            Map<String, String> planted = BucketContents.of(client, bucket);
            Map<String, List<String>> tables = TableDump.daemon(db);

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            assertTrue(plan.stdout().contains("Actions: 1;"), plan.stdout());

            Map<String, String> armed = EagerRemediation.armed(env);
            Map<String, String> killed = new HashMap<>(armed);
            killed.put("JAVA_TOOL_OPTIONS", "-Ddify.reconciler.test.halt-at=" + STEP);
            PackagedApp.Outcome apply = PackagedApp.run(killed, "apply", "--plan", planFile.toString());
            assertEquals(137, apply.exitCode(), apply.stdout() + apply.stderr());
            assertTrue(apply.stderr().contains("halting at step " + STEP), apply.stderr());
            assertEquals(0L, DaemonRows.on(db).queryLong("SELECT count(*) FROM plugins WHERE plugin_unique_identifier = ?", uid),
                    "the rows' step committed");
            assertEquals(planted, BucketContents.of(client, bucket), "plugin/U left in place by the kill");
            Map<String, List<String>> rowsQuarantined = TableDump.daemon(db);

            PackagedApp.Outcome dry = PackagedApp.run(env, "recover");
            assertEquals(0, dry.exitCode(), dry.stdout() + dry.stderr());
            assertTrue(dry.stdout().contains("[DRY RUN] would complete quarantine_object " + installed), dry.stdout());
            assertEquals(planted, BucketContents.of(client, bucket), "an unarmed recover moves nothing");
            assertEquals(rowsQuarantined, TableDump.daemon(db));

            PackagedApp.Outcome recover = PackagedApp.run(armed, "recover");
            assertEquals(0, recover.exitCode(), recover.stdout() + recover.stderr());
            assertTrue(recover.stdout().contains("completed quarantine_object " + installed), recover.stdout());
            Map<String, String> moved = BucketContents.of(client, bucket);
            assertFalse(moved.containsKey(installed), "plugin/U moved: the runtime stops on every node");
            assertEquals(planted.get(installed), moved.get("reconciler-quarantine/" + installed), "its bytes in quarantine");
            assertEquals(rowsQuarantined, TableDump.daemon(db), "recover changes no row");

            PackagedApp.Outcome again = PackagedApp.run(armed, "recover");
            assertEquals(0, again.exitCode(), again.stdout() + again.stderr());
            assertTrue(again.stdout().contains("Interrupted object actions: 0;"), "completed once, not again: " + again.stdout());

            PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            assertEquals(planted, BucketContents.of(client, bucket), "plugin/U back, byte for byte");
            assertEquals(tables, TableDump.daemon(db), "the rows back exactly");
        }
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", "plugin_unreferenced");
        return env;
    }
}
