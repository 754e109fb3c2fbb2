package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.acting.Tokens;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.report.ScanReport;
import dify.reconciler.run.ScanRunner;
import dify.reconciler.testsupport.BucketContents;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.FaultyHttpProxy.Fault;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.TableDump;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Issue 16: the service re-creates a missing asset on S3 with a conditional PUT ({@code If-None-Match: *}) whose
 * first attempt is written but whose answer is lost (the proxy resets the connection instead of relaying it); the
 * SDK's retry answers 412. When the asset at the key is exactly the bytes we meant to write, the action is applied
 * and the object recorded as created, and restore removes exactly it: every daemon table and every object's bytes
 * are what they were before apply. When other bytes appeared meanwhile, the action is skipped, nothing is recorded,
 * and restore deletes nothing.
 */
@QuarkusTest
@TestProfile(LostWriteAnswerTest.Confirmed.class)
@WithTestResource(ProxiedS3Daemon.class)
class LostWriteAnswerTest {

    /** One scan confirms, no minimum age, no share cap; each test passes a policy allowing asset_missing only. */
    public static class Confirmed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("reconciler.remediation.confirmations", "1", "reconciler.remediation.min-age", "0s",
                    "reconciler.remediation.min-age-info", "0s", "reconciler.remediation.max-share", "1",
                    "reconciler.remediation.kinds", "asset_missing,package_orphaned");
        }
    }

    private static final StorageLayout LAYOUT = StorageLayout.DEFAULT;

    @Inject
    ScanRunner runner;

    @Inject
    RemediationService remediation;

    /** Method and path of every PUT of the asset the proxy saw. */
    private final List<String> puts = new CopyOnWriteArrayList<>();

    @AfterEach
    void passEverything() {
        ProxiedS3Daemon.proxy.policy(r -> Fault.PASS);
    }

    @Test
    void aRecreatedAssetWhoseAnswerWasLostIsRecordedAsCreatedAndRestoreRemovesExactlyIt() throws Exception {
        DifyDataset.Plugin p = ProxiedS3Daemon.dataset.localPlugin(1);
        String asset = LAYOUT.assets() + p.assetId();
        Map<String, List<String>> tables = TableDump.daemon(ProxiedS3Daemon.database);
        Map<String, String> original = objects();
        s3().deleteObject(b -> b.bucket(ProxiedS3Daemon.bucket).key(asset));
        Map<String, String> planted = objects();
        RemediationPlan plan = plan();

        onPutsOf(asset, attempt -> attempt == 1 ? new Fault.LostAnswer() : Fault.PASS);
        List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(policy(true)), "test");

        assertEquals(2, puts.size(), "written, answer lost, sent again (answered 412): " + puts);
        assertEquals(List.of(ActionOutcome.APPLIED), outcomes(results), results.toString());
        assertTrue(results.get(0).detail().startsWith("re-created from "), results.get(0).detail());
        String actionId = plan.actions().get(0).id();
        assertEquals(1L, rows().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                + " AND outcome = 'applied'", actionId));
        String etag = s3().headObject(b -> b.bucket(ProxiedS3Daemon.bucket).key(asset)).eTag();
        assertEquals(1L, rows().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE action_id = ?"
                + " AND original_key = ? AND created AND size = ? AND etag = ? AND completed_at IS NOT NULL AND restored_at IS NULL",
                actionId, asset, (long) p.iconBytes().length, etag), "tracked as created, at the version in the bucket");
        assertEquals(original, objects(), "the asset is back with its bytes, nothing else changed");
        assertEquals(tables, TableDump.daemon(ProxiedS3Daemon.database), "object remedies change no row");

        List<ActionResult> restored = remediation.objectQuarantine().restore(null, "test");
        assertEquals(List.of(ActionOutcome.RESTORED), outcomes(restored), restored.toString());
        assertEquals(planted, objects(), "restore removed exactly the object we created");
        assertEquals(tables, TableDump.daemon(ProxiedS3Daemon.database));

        ProxiedS3Daemon.proxy.policy(r -> Fault.PASS);
        s3().putObject(b -> b.bucket(ProxiedS3Daemon.bucket).key(asset),
                RequestBody.fromBytes(p.iconBytes()));
        assertEquals(original, objects());
    }

    @Test
    void otherBytesThatAppearedMeanwhileAreSkippedNotRecordedAndNotDeletedByRestore() throws Exception {
        DifyDataset.Plugin p = ProxiedS3Daemon.dataset.localPlugin(2);
        String asset = LAYOUT.assets() + p.assetId();
        Map<String, List<String>> tables = TableDump.daemon(ProxiedS3Daemon.database);
        Map<String, String> original = objects();
        s3().deleteObject(b -> b.bucket(ProxiedS3Daemon.bucket).key(asset));
        RemediationPlan plan = plan();

        // Our first attempt is lost on the way; someone else's bytes land at the key; the retry answers 412.
        byte[] theirs = "<svg>someone else's icon</svg>".getBytes(StandardCharsets.UTF_8);
        onPutsOf(asset, attempt -> {
            if (attempt == 1) {
                S3ProxyServer.shared().putDirectly(ProxiedS3Daemon.bucket, asset, theirs);
                return new Fault.Reset();
            }
            return Fault.PASS;
        });
        List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(policy(true)), "test");

        assertEquals(2, puts.size(), puts.toString());
        assertEquals(List.of(ActionOutcome.SKIPPED_CHANGED), outcomes(results), results.toString());
        assertTrue(results.get(0).detail().contains("412") && results.get(0).detail().contains("nothing written"),
                results.get(0).detail());
        String actionId = plan.actions().get(0).id();
        assertEquals(1L, rows().queryLong("SELECT count(*) FROM plugin_reconciler.remediation_actions WHERE action_id = ?"
                + " AND outcome = 'skipped_changed'", actionId));
        assertEquals(0L, rows().queryLong("SELECT count(*) FROM plugin_reconciler.quarantine_objects WHERE action_id = ?",
                actionId), "nothing recorded as ours");
        Map<String, String> theirsInPlace = new TreeMap<>(original);
        theirsInPlace.put(asset, sha256(theirs));
        assertEquals(theirsInPlace, objects(), "their bytes stay, nothing forced");

        assertEquals(List.of(), remediation.objectQuarantine().restore(null, "test"), "nothing of ours to restore");
        assertEquals(theirsInPlace, objects(), "restore deleted nothing");
        assertEquals(tables, TableDump.daemon(ProxiedS3Daemon.database));

        ProxiedS3Daemon.proxy.policy(r -> Fault.PASS);
        S3ProxyServer.shared().putDirectly(ProxiedS3Daemon.bucket, asset, p.iconBytes());
        assertEquals(original, objects());
    }

    /**
     * The quarantine's DELETE of the original is sent, acted on, and its answer lost; the resend answers 412 (as a server
     * that checks {@code If-Match} against an object now gone may). The quarantine copy is then the only copy: it is
     * kept, the action is applied, and restore gives back the exact bytes. (Before: "changed", so our copy was deleted
     * too and the orphaned package's bytes were lost.)
     */
    @Test
    void aQuarantineWhoseDeleteAnswerWasLostKeepsTheOnlyCopyAndRestoresIt() throws Exception {
        String orphan = LAYOUT.packages() + DifyDataset.fakeUid("lostdelete", 1);
        Map<String, List<String>> tables = TableDump.daemon(ProxiedS3Daemon.database);
        S3ProxyServer.shared().putDirectly(ProxiedS3Daemon.bucket, orphan,
                "a package nobody declared".getBytes(StandardCharsets.UTF_8));
        Map<String, String> planted = objects();
        ScanReport r = runner.scanIfIdle().orElseThrow();
        assertTrue(r.succeeded(), r.error());
        RemediationPolicy policy = new RemediationPolicy(true, Set.of(FindingKind.PACKAGE_ORPHANED), 1, Duration.ZERO,
                Duration.ZERO, 50, 1.0, Duration.ofHours(1));
        RemediationPlan plan = remediation.plan(r, policy);
        assertEquals(List.of(orphan), plan.actions().stream().map(PlannedAction::key).toList(), plan.toString());

        List<String> deletes = new CopyOnWriteArrayList<>();
        ProxiedS3Daemon.proxy.policy(req -> {
            String path = java.net.URLDecoder.decode(req.target().split("\\?")[0], StandardCharsets.UTF_8);
            if (!req.method().equals("DELETE") || !path.endsWith("/" + ProxiedS3Daemon.bucket + "/" + orphan)) {
                return Fault.PASS;
            }
            deletes.add(req.target());
            return deletes.size() == 1 ? new Fault.LostAnswer() : new Fault.Status(412);
        });
        List<ActionResult> results = remediation.objectApplier().apply(plan, Tokens.acting(policy), "test");
        ProxiedS3Daemon.proxy.policy(req -> Fault.PASS);

        assertEquals(2, deletes.size(), "deleted, answer lost, sent again (answered 412): " + deletes);
        assertEquals(List.of(ActionOutcome.APPLIED), outcomes(results), results.toString());
        Map<String, String> moved = new TreeMap<>(planted);
        moved.put("reconciler-quarantine/" + orphan, moved.remove(orphan));
        assertEquals(moved, objects(), "the original is gone and its only copy is kept in quarantine");
        assertEquals(tables, TableDump.daemon(ProxiedS3Daemon.database));

        List<ActionResult> restored = remediation.objectQuarantine().restore(plan.actions().get(0).id(), "test");
        assertEquals(List.of(ActionOutcome.RESTORED), outcomes(restored), restored.toString());
        assertEquals(planted, objects(), "restore gives back the exact bytes");
        assertEquals(tables, TableDump.daemon(ProxiedS3Daemon.database));
        s3().deleteObject(b -> b.bucket(ProxiedS3Daemon.bucket).key(orphan));
    }

    /** Scans (one asset_missing, nothing else new) and plans its re-creation. */
    private RemediationPlan plan() throws Exception {
        ScanReport r = runner.scanIfIdle().orElseThrow();
        assertTrue(r.succeeded(), r.error());
        assertEquals(1L, r.summary().byKind().get(FindingKind.ASSET_MISSING), r.findings().toString());
        RemediationPlan plan = remediation.plan(r, policy(false));
        assertEquals(1, plan.actions().size(), plan.toString());
        return plan;
    }

    /** Applies {@code fault} to the n-th PUT (1-based) of {@code key}; every other request passes. */
    private void onPutsOf(String key, IntFunction<Fault> fault) {
        puts.clear();
        ProxiedS3Daemon.proxy.policy(r -> {
            if (!r.method().equals("PUT") || !r.target().split("\\?")[0].endsWith("/" + key)) {
                return Fault.PASS;
            }
            puts.add(r.method() + " " + r.target());
            return fault.apply(puts.size());
        });
    }

    private static RemediationPolicy policy(boolean armed) {
        return new RemediationPolicy(armed, Set.of(FindingKind.ASSET_MISSING), 1, Duration.ZERO, Duration.ZERO, 50, 1.0,
                Duration.ofHours(1));
    }

    private static List<ActionOutcome> outcomes(List<ActionResult> results) {
        return results.stream().map(ActionResult::outcome).toList();
    }

    /** Every object of the bucket, read directly (not through the proxy): key to the SHA-256 of its bytes. */
    private static Map<String, String> objects() {
        return BucketContents.of(s3(), ProxiedS3Daemon.bucket);
    }

    private static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static S3Client s3() {
        return S3ProxyServer.shared().client();
    }

    private static DaemonRows rows() {
        return DaemonRows.on(ProxiedS3Daemon.database);
    }
}
