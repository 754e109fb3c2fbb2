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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The kind gate at apply time, through the packaged commands on a real database and a real S3 API (S3Proxy): a plan
 * made while four kinds were listed in {@code reconciler.remediation.kinds} (a row and an object kind of group A, a
 * row and an object kind of group B) is applied, armed, while only A's kinds are listed. A's row and object change;
 * B's actions are reported and audited {@code withheld} ("not listed in reconciler.remediation.kinds"), not failed,
 * and every daemon table (full dump) and every object's bytes are exactly what the A actions alone give. Restored,
 * then the same plan applied with only B's kinds: the reverse. Each {@code restore --all} gives back the planted state.
 */
class ApplyKindGateIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final String QUARANTINE = "reconciler-quarantine/";

    /** Group A: an orphaned endpoint row (quarantined) and an orphaned package object (quarantined). */
    private static final String A_KINDS = "endpoint_orphaned,package_orphaned";
    /** Group B: a plugins row whose refers is too low (updated) and an installed copy under an invalid key (quarantined). */
    private static final String B_KINDS = "refers_too_low,invalid_installed_key";

    @Test
    void applyActsOnlyOnTheKindsListedWhenItRunsAndReportsTheOthersWithheld(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("kind-gate-it-" + System.nanoTime());
        S3Client client = s3.client();
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            Map<String, String> env = env(db, s3, bucket, A_KINDS + "," + B_KINDS);
            // No scan of the seeded dataset first (a launch): ScanCommandIT proves a seeded DifyDataset scans clean, and
            // the plan below must hold exactly the planted actions.
            Map<String, List<String>> clean = TableDump.daemon(db);

            DaemonRows daemon = DaemonRows.on(db);
            String pluginRow = dataset.localPlugin(1).pluginRowId().toString();
            String hook = "hook-" + UUID.randomUUID();
            daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", hook, "default"); // A, row
            daemon.execute("UPDATE plugins SET refers = 1 WHERE id = ?::uuid", pluginRow); // B, row
            String orphan = LAYOUT.packages() + DifyDataset.fakeUid("ghost", 1);
            String invalid = LAYOUT.installed() + "langgenius/broken_0.0.1@abc";
            writer.put(orphan, "a package nobody declared"); // A, object
            writer.put(invalid, "a key the daemon cannot parse"); // B, object
            Map<String, List<String>> planted = TableDump.daemon(db);
            Map<String, String> plantedObjects = BucketContents.of(client, bucket);

            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(env, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            JsonNode doc = JSON.readTree(planFile.toFile());
            assertEquals(List.of("endpoint_orphaned", "invalid_installed_key", "package_orphaned", "refers_too_low"),
                    kinds(doc.get("actions")), doc.toString());
            String planId = doc.get("planId").asText();

            // Only A listed: A's row and object change, B's stay exactly as planted.
            Map<String, List<String>> aApplied = new TreeMap<>(planted);
            aApplied.put("endpoints", clean.get("endpoints")); // the planted endpoint was the only change there
            Map<String, String> aObjects = new TreeMap<>(plantedObjects);
            aObjects.put(QUARANTINE + orphan, aObjects.remove(orphan));
            applyWithOnly(env, A_KINDS, planFile, tmp.resolve("a.json"), List.of("endpoint_orphaned", "package_orphaned"),
                    List.of("invalid_installed_key", "refers_too_low"));
            assertEquals(aApplied, TableDump.daemon(db), "only the orphaned endpoint is gone; plugins (B) byte for byte as planted");
            assertEquals(aObjects, BucketContents.of(client, bucket),
                    "only the orphaned package moved; the invalid key's bytes as planted");
            assertEquals(1L, daemon.queryLong("SELECT refers FROM plugins WHERE id = ?::uuid", pluginRow), "B's refers untouched");
            assertAudited(daemon, planId, "refers_too_low", "invalid_installed_key");
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_rows WHERE table_name = 'plugins'"),
                    "a withheld row action quarantines nothing");
            assertEquals(0L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE original_key = ?",
                    invalid), "a withheld object action quarantines nothing");

            restoreAll(env, 2);
            assertEquals(planted, TableDump.daemon(db));
            assertEquals(plantedObjects, BucketContents.of(client, bucket));

            // The reverse, the same plan: only B listed.
            Map<String, List<String>> bApplied = new TreeMap<>(planted);
            bApplied.put("plugins", clean.get("plugins")); // refers back to the installation count, as before the drift
            Map<String, String> bObjects = new TreeMap<>(plantedObjects);
            bObjects.put(QUARANTINE + invalid, bObjects.remove(invalid));
            applyWithOnly(env, B_KINDS, planFile, tmp.resolve("b.json"), List.of("invalid_installed_key", "refers_too_low"),
                    List.of("endpoint_orphaned", "package_orphaned"));
            assertEquals(bApplied, TableDump.daemon(db), "only refers changed; endpoints (A) as planted");
            assertEquals(bObjects, BucketContents.of(client, bucket),
                    "only the invalid key moved; the orphaned package's bytes as planted");
            assertEquals(1L, daemon.queryLong("SELECT count(*) FROM endpoints WHERE hook_id = ?", hook), "A's endpoint untouched");
            assertAudited(daemon, planId, "endpoint_orphaned", "package_orphaned");

            restoreAll(env, 2);
            assertEquals(planted, TableDump.daemon(db), "restore gives back every table");
            assertEquals(plantedObjects, BucketContents.of(client, bucket), "restore gives back every object's bytes");
        }
    }

    /**
     * Applies the plan armed with {@code kinds} listed: exit 0 (withheld is not a failure), the listed kinds applied,
     * the others withheld with the reason, in the summary line and in the JSON results.
     */
    private static void applyWithOnly(Map<String, String> env, String kinds, Path planFile, Path resultsFile, List<String> applied,
            List<String> withheld) throws Exception {
        Map<String, String> armed = EagerRemediation.armed(env);
        armed.put("RECONCILER_REMEDIATION_KINDS", kinds);
        PackagedApp.Outcome apply = PackagedApp.run(armed, "apply", "--plan", planFile.toString(), "--output", resultsFile.toString());
        assertEquals(0, apply.exitCode(), apply.stdout() + apply.stderr());
        assertTrue(apply.stdout().contains("4 action(s); applied 2, skipped_changed 0, failed 0, dry_run 0, withheld 2"),
                apply.stdout());
        Map<String, List<String>> byOutcome = new TreeMap<>();
        for (JsonNode r : JSON.readTree(resultsFile.toFile()).get("results")) {
            byOutcome.computeIfAbsent(r.get("outcome").asText(), o -> new ArrayList<>()).add(r.get("kind").asText());
            if (r.get("outcome").asText().equals("withheld")) {
                assertEquals(r.get("kind").asText() + " is not listed in reconciler.remediation.kinds", r.get("detail").asText());
            }
        }
        byOutcome.values().forEach(k -> k.sort(null));
        assertEquals(Map.of("applied", applied, "withheld", withheld), byOutcome, apply.stdout());
    }

    /** The audit says each of {@code kinds} was withheld by this plan's apply, because the kind is not listed, and not applied. */
    private static void assertAudited(DaemonRows daemon, String planId, String... kinds) {
        for (String kind : kinds) {
            assertEquals(1L, daemon.queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE plan_id = ?"
                    + " AND kind = ? AND outcome = 'withheld' AND detail = ?", planId, kind,
                    kind + " is not listed in reconciler.remediation.kinds"), kind + " audited withheld");
        }
    }

    private static void restoreAll(Map<String, String> env, int expected) throws Exception {
        PackagedApp.Outcome restore = PackagedApp.run(EagerRemediation.armed(env), "restore", "--all");
        assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
        assertTrue(restore.stdout().contains("Restored " + expected + " of " + expected), restore.stdout());
    }

    private static List<String> kinds(JsonNode actions) {
        List<String> kinds = new ArrayList<>();
        actions.forEach(a -> kinds.add(a.get("kind").asText()));
        kinds.sort(null);
        return kinds;
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket, String kinds) {
        Map<String, String> env = new HashMap<>(db.ownerS3Environment(s3, bucket));
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", kinds);
        return env;
    }
}
