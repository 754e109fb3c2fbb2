package dify.reconciler.run;

import static dify.reconciler.testsupport.DifyPackageBuilder.aPackage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.detect.FindingSink;
import dify.reconciler.inventory.storage.LocalObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.testsupport.BuiltPackage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A package whose bytes are not as long as its listing said (rewritten by the daemon between the listing and
 * our read, or a download cut short) is not judged: judging the bytes read would report a checksum mismatch
 * (critical) that is not there. It is counted as unverified and named in the notes; an intact one still verifies.
 */
class PackageChangedWhileReadTest {

    @TempDir
    Path root;

    @Test
    void aPackageShorterOrLongerThanListedIsUnverifiedNotAMismatch() throws Exception {
        BuiltPackage pkg = aPackage().name("changing").paddedTo(20_000, 3).build();
        Path file = root.resolve("plugin_packages").resolve(pkg.identifier());
        Files.createDirectories(file.getParent());
        Files.write(file, pkg.bytes());
        String key = "plugin_packages/" + pkg.identifier();
        FindingSink sink = new FindingSink(100);
        DeepVerifier verifier = new DeepVerifier(new LocalObjectStorage(root), sink);

        verifier.verify("plugin_packages/", List.of(new StoredObject(key, pkg.bytes().length + 100, Instant.now())), "plugin/",
                List.of());
        verifier.verify("plugin_packages/", List.of(new StoredObject(key, pkg.bytes().length - 100, Instant.now())), "plugin/",
                List.of());

        assertEquals(0, sink.total(), sink.findings().toString());
        assertEquals(2, sink.packagesUnverified());
        assertTrue(sink.notes().stream().anyMatch(n -> n.contains("ended after " + pkg.bytes().length + " of")), sink.notes().toString());

        verifier.verify("plugin_packages/", List.of(new StoredObject(key, pkg.bytes().length, Instant.now())), "plugin/", List.of());
        assertEquals(0, sink.total(), "the intact package verifies");
        assertEquals(2, sink.packagesUnverified());
    }
}
