package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.S3ObjectWriter;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The drifts the crash tests plant in a seeded dataset ({@link CrashSweepIT}, {@link StepBoundariesIT}): one of
 * eleven kinds each (refers, an orphaned endpoint, an unreferenced plugin with its installed copy, an orphaned
 * package, an invalid installed key, a corrupt installed copy, a missing installed copy, a missing asset, an
 * orphaned asset, a missing package), and the invariants they check after a kill and after {@code recover}.
 */
final class CrashDrift {

    static final String QUARANTINE = "reconciler-quarantine/";

    /** What the tests name later: the unreferenced plugin, its installed copy, the asset apply re-creates. */
    record Planted(String leftover, String leftoverInstalled, String missingAsset) {
    }

    private CrashDrift() {
    }

    static Planted plant(DaemonRows daemon, S3ObjectWriter writer, S3Client client, String bucket, DifyDataset dataset,
            StorageLayout layout) {
        daemon.execute("UPDATE plugins SET refers = 1 WHERE id = ?", dataset.localPlugin(1).pluginRowId());
        daemon.insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-orphan", "default");
        String leftover = DifyDataset.fakeUid("leftover", 1);
        String leftoverInstalled = layout.installed() + leftover;
        daemon.insertPlugin(leftover, "langgenius/leftover", 0, "local", null);
        writer.put(leftoverInstalled, "the installed copy of a plugin nobody uses");
        writer.put(layout.packages() + DifyDataset.fakeUid("ghost", 1), "a package nobody declared");
        writer.put(layout.installed() + "not-an-identifier", "a key the daemon cannot parse");
        writer.put(dataset.localPlugin(2).pkg().key(layout.installed()), "not a zip");
        client.deleteObject(b -> b.bucket(bucket).key(dataset.localPlugin(0).pkg().key(layout.installed())));
        String missingAsset = layout.assets() + dataset.localPlugin(1).assetId();
        client.deleteObject(b -> b.bucket(bucket).key(missingAsset));
        byte[] ghostIcon = "<svg>nobody's icon</svg>".getBytes(StandardCharsets.UTF_8);
        writer.put(layout.assets() + BuiltPackage.assetId("ghost.svg", ghostIcon), ghostIcon);
        client.deleteObject(b -> b.bucket(bucket).key(dataset.localPlugin(3).pkg().key(layout.packages())));
        return new Planted(leftover, leftoverInstalled, missingAsset);
    }

    /** After a kill: every planted object's bytes are at their key or in quarantine, never neither. */
    static void assertNothingLost(Map<String, String> planted, Map<String, String> now, String point) {
        for (Map.Entry<String, String> o : planted.entrySet()) {
            String k = o.getKey();
            assertTrue(o.getValue().equals(now.get(k)) || o.getValue().equals(now.get(QUARANTINE + k)),
                    point + ": '" + k + "' is at its key or in quarantine");
        }
    }

    /** After {@code recover}: every planted object's bytes are in exactly one place. */
    static void assertInExactlyOnePlace(Map<String, String> planted, Map<String, String> now, String point) {
        for (Map.Entry<String, String> o : planted.entrySet()) {
            String k = o.getKey();
            boolean atKey = o.getValue().equals(now.get(k));
            boolean inQuarantine = o.getValue().equals(now.get(QUARANTINE + k));
            assertTrue(atKey || inQuarantine, point + ": '" + k + "' lost after recover");
            assertFalse(atKey && inQuarantine, point + ": '" + k + "' is in both places after recover");
        }
    }
}
