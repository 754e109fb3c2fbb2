package dify.reconciler.catalog;

import static dify.reconciler.testsupport.DifyPackageBuilder.aPackage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import dify.reconciler.testsupport.BuiltPackage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PluginPackageInspectorTest {

    @Test
    void namesABuiltPackageLikeTheDaemon() throws Exception {
        BuiltPackage pkg = aPackage().author("langgenius").name("openai").version("0.0.19").paddedTo(120_000, 1).build();

        PackageIdentity identity = inspect(pkg.bytes());

        assertEquals(new PackageIdentity("langgenius", "openai", "0.0.19", pkg.checksum()), identity);
        assertEquals(pkg.identifier(), identity.identifier());
        assertTrue(PluginIdentifier.isValid(identity.identifier()));
    }

    @Test
    void leavesTheAuthorOutWhenTheManifestHasNone() throws Exception {
        BuiltPackage pkg = aPackage().author(null).name("solo").version("1.0.0").build();

        PackageIdentity identity = inspect(pkg.bytes());

        assertNull(identity.author());
        assertEquals("solo:1.0.0@" + pkg.checksum(), identity.identifier());
        assertTrue(PluginIdentifier.isValid(identity.identifier()));
    }

    @Test
    void refusesBytesThatAreNotAZip() {
        assertProblem(Problem.NOT_A_ZIP, "<html>502 Bad Gateway</html>".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void refusesATruncatedPackage() {
        byte[] whole = aPackage().build().bytes();

        assertProblem(Problem.TRUNCATED, Arrays.copyOf(whole, whole.length / 2));
        assertProblem(Problem.TRUNCATED, Arrays.copyOf(whole, whole.length - 1));
    }

    @Test
    void refusesAPackageWithoutManifest() {
        assertProblem(Problem.NO_MANIFEST, aPackage().withoutManifest().build().bytes());
        // Only the top-level manifest.yaml counts (the daemon reads exactly that path).
        assertProblem(Problem.NO_MANIFEST,
                PackageChecksumTest.zip(Map.of("sub/manifest.yaml", "name: x\nversion: 0.0.1\n")));
    }

    @Test
    void refusesAManifestWithoutNameOrVersion() {
        assertProblem(Problem.BAD_MANIFEST, aPackage().manifest("author: a\nversion: 0.0.1\n").build().bytes());
        assertProblem(Problem.BAD_MANIFEST, aPackage().manifest("author: a\nname: b\n").build().bytes());
        assertProblem(Problem.BAD_MANIFEST, aPackage().manifest("author: a\nname: \"\"\nversion: 0.0.1\n").build().bytes());
    }

    @Test
    void refusesADirectoryEntry() {
        assertProblem(Problem.REJECTED_BY_DAEMON, aPackage().directory("_assets").build().bytes());
    }

    @Test
    void letsAFailingStreamFailAsIoRatherThanAsABadPackage() {
        byte[] bytes = aPackage().build().bytes();
        InputStream failing = new InputStream() {
            private int left = bytes.length / 2;
            private final ByteArrayInputStream in = new ByteArrayInputStream(bytes);

            @Override
            public int read() throws IOException {
                if (left-- <= 0) {
                    throw new IOException("connection reset");
                }
                return in.read();
            }
        };

        assertThrows(IOException.class, () -> PluginPackageInspector.inspect(failing));
    }

    private static PackageIdentity inspect(byte[] bytes) throws Exception {
        return PluginPackageInspector.inspect(new ByteArrayInputStream(bytes));
    }

    private static void assertProblem(Problem expected, byte[] bytes) {
        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> inspect(bytes));
        assertEquals(expected, e.problem(), e.getMessage());
    }
}
