package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.BucketPolicy;
import dify.reconciler.testsupport.BucketPolicy.Permission;
import dify.reconciler.testsupport.BucketPolicyProxy;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The documented bucket policies ({@code docs/bucket-policy-report.json}, {@code docs/bucket-policy-armed.json}),
 * enforced in front of S3Proxy by {@link BucketPolicyProxy}, against the packaged jar: (a) a deep-verifying scan
 * under the report policy makes no request the policy denies and reports exactly what the same scan reports
 * without it; (d) a scan that may not list a daemon prefix is a failed run; (b) every object remedy kind is
 * planned, applied and restored byte for byte under the armed policy; (c) without DeleteObject on {@code plugin/*}
 * the quarantines there fail cleanly (exit 1, audited, the original stays, {@code recover} leaves no copy) while
 * the other remedies apply, and {@code purge} then deletes only the quarantine copies. No request under either
 * policy is denied, and every grant of either policy is needed by some request (but the armed policy's listing of
 * the quarantine prefix, needed only when a process's first 404 is a quarantine key: S3ObjectStorageBucketPolicyTest
 * proves that case). Every request is written to
 * {@code target/bucket-least-privilege-requests.txt}.
 */
class BucketLeastPrivilegeIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;
    private static final Path REPORT_POLICY = Path.of("docs/bucket-policy-report.json");
    private static final Path ARMED_POLICY = Path.of("docs/bucket-policy-armed.json");
    private static final String ALL_OBJECT_KINDS = "invalid_installed_key,installed_object_orphaned,package_orphaned,"
            + "asset_orphaned,installed_object_missing,package_missing,installed_copy_differs,checksum_mismatch,asset_missing";
    private static final String QUARANTINE = "reconciler-quarantine/";

    private final String invalidKey = LAYOUT.installed() + "langgenius/broken_0.0.1@abc";
    private final String orphanedInstalled = LAYOUT.installed() + DifyDataset.fakeUid("ghost", 1);

    @Test
    void theReadmeBucketPoliciesAllowEveryModeAndNothingMore(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("least-privilege-" + System.nanoTime());
        S3Client client = s3.client();
        BucketPolicy report = BucketPolicy.read(REPORT_POLICY, bucket);
        BucketPolicy armedPolicy = BucketPolicy.read(ARMED_POLICY, bucket);
        try (TestDatabase db = SchemaFixture.CURRENT.newDatabase();
                BucketPolicyProxy proxy = BucketPolicyProxy.to(s3.endpoint(), report)) {
            S3ObjectWriter writer = new S3ObjectWriter(client, bucket);
            DifyDataset dataset = new DifyDataset(2, 5, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, LAYOUT,
                    Instant.now().minus(Duration.ofDays(1)));
            plantOneDriftPerObjectRemedy(dataset, writer, client, bucket);
            Map<String, String> planted = BucketContents.of(client, bucket);

            Map<String, String> direct = env(db, s3, bucket);
            // Every scan downloads every package (no deep-verify cache): the policy must allow each read it makes.
            direct.put("RECONCILER_DEEP_VERIFY_FULL_EVERY", "0s");
            Map<String, String> env = new HashMap<>(direct);
            env.put("S3_ENDPOINT", proxy.endpoint().toString());
            Map<String, String> armed = EagerRemediation.armed(env);

            // (a) Report mode, deep verify on: every request allowed, the same report as without the policy.
            PackagedApp.Outcome unguarded = PackagedApp.run(direct, "scan", "--format", "json");
            assertEquals(1, unguarded.exitCode(), unguarded.stdout() + unguarded.stderr());
            PackagedApp.Outcome guarded = PackagedApp.run(env, "scan", "--format", "json");
            assertEquals(1, guarded.exitCode(), guarded.stdout() + guarded.stderr());
            assertEquals(List.of(), proxy.denied(), "report mode under the report policy");
            assertEquals(comparable(unguarded.stdout()), comparable(guarded.stdout()), "the same report through the policy");
            assertEquals(new TreeSet<>(List.of("checksum_mismatch", "installed_copy_differs", "asset_missing",
                    "asset_orphaned", "invalid_installed_key", "installed_object_missing", "installed_object_orphaned",
                    "package_missing", "package_orphaned")), kinds(JSON.readTree(guarded.stdout()).get("findings")),
                    guarded.stdout());
            assertEquals(List.of(), report.grantsNotNeededBy(needs(proxy.calls())), "a report policy grant no scan request needs");

            // (d) A daemon prefix the scan may not list: a failed run, never a clean (or any) report.
            proxy.enforce(BucketPolicy.parse(Files.readString(REPORT_POLICY).replace(", \"assets/*\"", ""), bucket));
            PackagedApp.Outcome denied = PackagedApp.run(env, "scan", "--format", "json");
            assertEquals(2, denied.exitCode(), denied.stdout() + denied.stderr());
            assertTrue(denied.stderr().contains("access denied to bucket '" + bucket + "'")
                    || denied.stdout().contains("access denied to bucket '" + bucket + "'"), denied.stdout() + denied.stderr());
            assertTrue(proxy.denied().stream().allMatch(c -> "assets/".equals(c.request().query().get("prefix"))),
                    proxy.denied().toString());
            assertTrue(!proxy.denied().isEmpty(), "the listing was denied");

            // (b) Every object remedy kind under the armed policy: planned, applied, restored byte for byte.
            proxy.enforce(armedPolicy);
            Path planFile = tmp.resolve("plan.json");
            PackagedApp.Outcome plan = PackagedApp.run(armed, "plan", "--output", planFile.toString());
            assertEquals(1, plan.exitCode(), plan.stdout() + plan.stderr());
            assertEquals(9, JSON.readTree(planFile.toFile()).get("actions").size(), Files.readString(planFile));
            PackagedApp.Outcome apply = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(0, apply.exitCode(), apply.stdout() + apply.stderr());
            assertTrue(apply.stdout().contains("applied 9, skipped_changed 0, failed 0"), apply.stdout());
            assertNotEquals(planted, BucketContents.of(client, bucket), "the remedies changed the bucket");
            PackagedApp.Outcome restore = PackagedApp.run(armed, "restore", "--all");
            assertEquals(0, restore.exitCode(), restore.stdout() + restore.stderr());
            // 11: a replaced target is two items, its old bytes copied back and the copy we wrote removed.
            assertTrue(restore.stdout().contains("Restored 11 of 11"), restore.stdout());
            assertEquals(planted, BucketContents.of(client, bucket), "restored under the armed policy, byte for byte");

            // (c) The same remedies without DeleteObject on plugin/*: the two quarantines there fail (exit 1,
            // audited), the original stays, recover leaves no quarantine copy behind; the other seven apply.
            PackagedApp.Outcome replan = PackagedApp.run(armed, "plan", "--output", planFile.toString());
            assertEquals(1, replan.exitCode(), replan.stdout() + replan.stderr());
            BucketPolicy noDelete = withoutDeleteOn("plugin/*", bucket);
            proxy.enforce(noDelete);
            PackagedApp.Outcome failed = PackagedApp.run(armed, "apply", "--plan", planFile.toString());
            assertEquals(1, failed.exitCode(), failed.stdout() + failed.stderr());
            assertTrue(failed.stdout().contains("applied 7, skipped_changed 0, failed 2"), failed.stdout());
            assertEquals(2L, DaemonRows.on(db).queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions"
                    + " WHERE outcome = 'failed' AND object_key IN (?, ?)", invalidKey, orphanedInstalled), "audited failed");
            assertTrue(!proxy.denied().isEmpty() && proxy.denied().stream().allMatch(c -> c.request().operation().equals("DeleteObject")
                    && c.request().key().startsWith("plugin/")), proxy.denied().toString());
            PackagedApp.Outcome recover = PackagedApp.run(armed, "recover");
            assertEquals(0, recover.exitCode(), recover.stdout() + recover.stderr());
            Map<String, String> afterFailure = BucketContents.of(client, bucket);
            for (String key : List.of(invalidKey, orphanedInstalled)) {
                assertEquals(planted.get(key), afterFailure.get(key), key + " is still at its key");
                assertTrue(!afterFailure.containsKey(QUARANTINE + key), key + " left no quarantine copy behind");
            }
            planted.forEach((key, hash) -> assertTrue(hash.equals(afterFailure.get(key))
                    || hash.equals(afterFailure.get(QUARANTINE + key)), key + " is at its key or in quarantine"));

            // Purge under the armed policy: the quarantine copies of the seven are deleted, nothing else changes.
            proxy.enforce(armedPolicy);
            Map<String, String> purging = new HashMap<>(armed);
            purging.put("RECONCILER_REMEDIATION_RETENTION", "1s");
            PackagedApp.Outcome purge = PackagedApp.run(purging, "purge");
            assertEquals(0, purge.exitCode(), purge.stdout() + purge.stderr());
            Map<String, String> expected = new TreeMap<>(afterFailure);
            expected.keySet().removeIf(k -> k.startsWith(QUARANTINE));
            assertTrue(expected.size() < afterFailure.size(), "there was something to purge");
            assertEquals(expected, BucketContents.of(client, bucket), "only the quarantine copies were purged");

            Files.writeString(Path.of("target/bucket-least-privilege-requests.txt"), proxy.history().stream()
                    .map(BucketPolicyProxy.Call::toString).collect(Collectors.joining("\n", "", "\n")));
            List<BucketPolicyProxy.Call> underArmed = proxy.callsUnder(armedPolicy);
            assertEquals(List.of(), underArmed.stream().filter(c -> !c.allowed()).toList(), "armed mode under the armed policy");
            // Listing the quarantine prefix is what confirms the bucket when a process's first 404 is a quarantine key;
            // whether that happens here depends on the order of the actions (S3ObjectStorageBucketPolicyTest proves it).
            List<String> unused = armedPolicy.grantsNotNeededBy(needs(underArmed)).stream()
                    .filter(g -> !g.endsWith("with s3:prefix like " + QUARANTINE + "*")).toList();
            assertEquals(List.of(), unused, "an armed policy grant no request needs");
        }
    }

    /** The seeded dataset plus one drift per object remedy kind, each on its own plugin. */
    private void plantOneDriftPerObjectRemedy(DifyDataset dataset, S3ObjectWriter writer, S3Client client,
            String bucket) {
        writer.put(invalidKey, "a key the daemon cannot parse");
        writer.put(orphanedInstalled, "an installed copy nobody uses");
        writer.put(LAYOUT.packages() + DifyDataset.fakeUid("ghost", 2), "a package nobody declared");
        byte[] icon = "<svg>ghost</svg>".getBytes(StandardCharsets.UTF_8);
        writer.put(LAYOUT.assets() + BuiltPackage.assetId("ghost.svg", icon), icon);
        delete(client, bucket, dataset.localPlugin(0).pkg().key(LAYOUT.packages()));
        delete(client, bucket, dataset.localPlugin(1).pkg().key(LAYOUT.installed()));
        writer.put(dataset.localPlugin(2).pkg().key(LAYOUT.installed()), "not a zip");
        DifyDataset.Plugin differs = dataset.localPlugin(3);
        writer.put(differs.pkg().key(LAYOUT.installed()), withZipComment(differs.pkg().bytes(), "re-zipped"));
        delete(client, bucket, LAYOUT.assets() + dataset.localPlugin(4).assetId());
    }

    /** The armed policy with DeleteObject taken away on one resource. */
    private static BucketPolicy withoutDeleteOn(String prefix, String bucket) throws Exception {
        ObjectNode doc = (ObjectNode) JSON.readTree(Files.readString(ARMED_POLICY));
        ArrayNode statements = (ArrayNode) doc.get("Statement");
        for (JsonNode s : List.copyOf(iterable(statements))) {
            if (s.get("Action").toString().contains("s3:DeleteObject")) {
                ArrayNode actions = JSON.createArrayNode();
                s.get("Action").forEach(a -> {
                    if (!a.asText().equals("s3:DeleteObject")) {
                        actions.add(a);
                    }
                });
                ObjectNode deletes = JSON.createObjectNode().put("Effect", "Allow").put("Action", "s3:DeleteObject");
                ArrayNode resources = deletes.putArray("Resource");
                s.get("Resource").forEach(r -> {
                    if (!r.asText().endsWith("/" + prefix)) {
                        resources.add(r);
                    }
                });
                ((ObjectNode) s).set("Action", actions);
                statements.add(deletes);
            }
        }
        return BucketPolicy.parse(doc.toString(), bucket);
    }

    private static List<JsonNode> iterable(ArrayNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    /** The permissions the allowed ones of these requests needed. */
    private static List<Permission> needs(List<BucketPolicyProxy.Call> calls) {
        return calls.stream().filter(BucketPolicyProxy.Call::allowed).flatMap(c -> c.request().needs().stream()).toList();
    }

    /** A report without what differs between two runs of the same scan (ids, times, the endpoint, ledger counts). */
    private static JsonNode comparable(String reportJson) throws Exception {
        ObjectNode doc = (ObjectNode) JSON.readTree(reportJson);
        doc.remove(List.of("runId", "startedAt", "finishedAt", "durationSeconds", "phaseSeconds", "state"));
        ((ObjectNode) doc.get("scanned")).remove("storage");
        doc.get("findings").forEach(f -> ((ObjectNode) f).remove(List.of("firstSeen", "consecutiveScans")));
        return doc;
    }

    private static TreeSet<String> kinds(JsonNode findings) {
        return StreamSupport.stream(findings.spliterator(), false).map(f -> f.get("kind").asText())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        env.put("RECONCILER_DEEP_VERIFY", "true");
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", ALL_OBJECT_KINDS);
        return env;
    }

    private static void delete(S3Client client, String bucket, String key) {
        client.deleteObject(b -> b.bucket(bucket).key(key));
    }

    /** The zip with a comment in its end-of-central-directory record: other bytes, the same entries. */
    private static byte[] withZipComment(byte[] zip, String comment) {
        byte[] text = comment.getBytes(StandardCharsets.UTF_8);
        byte[] out = Arrays.copyOf(zip, zip.length + text.length);
        out[zip.length - 2] = (byte) text.length;
        out[zip.length - 1] = 0;
        System.arraycopy(text, 0, out, zip.length, text.length);
        return out;
    }
}
