package dify.reconciler.catalog;

import static dify.reconciler.testsupport.DifyPackageBuilder.aPackage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DifyPackageBuilder;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PackageChecksumTest {

    @Test
    void matchesAValueComputedOutsideJava() throws Exception {
        // Expected value computed with Python's hashlib from the same four entries, sorted by UTF-8 bytes
        // (a.txt, b/c.txt, U+FF1A.txt, U+1F600.txt: String.compareTo would put the emoji before U+FF1A).
        Map<String, String> entries = new LinkedHashMap<>();
        entries.put("\uD83D\uDE00.txt", "y");
        entries.put("b/c.txt", "world");
        entries.put("\uFF1A.txt", "x");
        entries.put("a.txt", "hello");

        assertEquals("5c32eb405d604b4aab677d417e6a0da1f1254fc927a6600bfd53f67732c8cdef", checksum(zip(entries)));
    }

    @Test
    void equalsTheIndependentImplementationOnBuiltPackages() throws Exception {
        DifyPackageBuilder[] builders = {
                aPackage(),
                aPackage().stored(),
                aPackage().author("junjiem").name("mcp_see_agent").version("0.2.2").comment("{\"signature\":\"abc\",\"time\":1}"),
                aPackage().file("\uFF1A/odd.py", "1").file("\uD83D\uDE00/odd.py", "2").file("z.py", "3"),
                aPackage().icon("logo.png", new byte[] {(byte) 0x89, 'P', 'N', 'G'}).paddedTo(300_000, 7),
        };
        for (DifyPackageBuilder builder : builders) {
            BuiltPackage pkg = builder.build();
            assertEquals(pkg.checksum(), checksum(pkg.bytes()), pkg.identifier());
        }
    }

    @Test
    void leavesTheZipCommentOut() throws Exception {
        BuiltPackage unsigned = aPackage().build();
        BuiltPackage signed = aPackage().comment("{\"signature\":\"kB+/lmLcc\",\"time\":1744632035}").build();

        assertFalse(Arrays.equals(unsigned.bytes(), signed.bytes()));
        assertEquals(checksum(unsigned.bytes()), checksum(signed.bytes()));
    }

    @Test
    void changesWhenContentOrAPathChanges() throws Exception {
        String base = checksum(aPackage().file("a.py", "1").build().bytes());

        assertNotEquals(base, checksum(aPackage().file("a.py", "2").build().bytes()));
        assertNotEquals(base, checksum(aPackage().file("b.py", "1").build().bytes()));
    }

    @Test
    void readsAStreamThatDeliversOneByteAtATime() throws Exception {
        BuiltPackage pkg = aPackage().paddedTo(40_000, 3).build();

        assertEquals(pkg.checksum(), PackageChecksum.compute(new Trickle(new ByteArrayInputStream(pkg.bytes()))));
    }

    @Test
    void refusesADirectoryEntryBecauseTheDaemonCannotHashOne() {
        BuiltPackage pkg = aPackage().directory("provider").build();
        assertNull(pkg.checksum());

        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> checksum(pkg.bytes()));
        assertEquals(Problem.REJECTED_BY_DAEMON, e.problem());
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape.py", "/absolute.py", "windows\\path.py"})
    void refusesNamesTheDaemonCannotOpen(String name) {
        byte[] zip = zip(Map.of("manifest.yaml", "name: x\n", name, "1"));

        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> checksum(zip));
        assertEquals(Problem.REJECTED_BY_DAEMON, e.problem());
    }

    @Test
    void countsTheFirstOfTwoEntriesThatCleanToTheSamePath() throws Exception {
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("a/./b.py", "first");
        twice.put("a/b.py", "second");

        assertEquals(checksum(zip(Map.of("a/b.py", "first"))), checksum(zip(twice)));
    }

    @Test
    void callsAnArchiveCutAfterItsLastEntryTruncated() {
        byte[] whole = aPackage().build().bytes();
        // The end record is 22 bytes; cutting 30 leaves every entry but not the whole central directory.
        byte[] cut = Arrays.copyOf(whole, whole.length - 30);

        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> checksum(cut));
        assertEquals(Problem.TRUNCATED, e.problem());
    }

    @Test
    void callsAFlippedByteCorrupt() {
        BuiltPackage pkg = aPackage().stored().build();
        byte[] bytes = pkg.bytes().clone();
        int at = indexOf(bytes, "dify_plugin>=".getBytes(StandardCharsets.UTF_8));
        bytes[at] ^= 1;

        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> checksum(bytes));
        assertEquals(Problem.CORRUPT, e.problem());
    }

    @Test
    void callsOtherBytesNotAZip() {
        InvalidPackageException e = assertThrows(InvalidPackageException.class,
                () -> checksum("%PDF-1.7 not a zip".getBytes(StandardCharsets.UTF_8)));
        assertEquals(Problem.NOT_A_ZIP, e.problem());
        assertEquals(Problem.NOT_A_ZIP,
                assertThrows(InvalidPackageException.class, () -> checksum(new byte[0])).problem());
    }

    @Test
    void hashesAnEmptyArchiveAsNoEntries() throws Exception {
        assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", checksum(zip(Map.of())));
    }

    @Test
    void cleansPathsLikeGo() {
        assertEquals("a/b", PackageChecksum.clean("a/./b"));
        assertEquals("b", PackageChecksum.clean("a/../b"));
        assertEquals("../x", PackageChecksum.clean("../x"));
        assertEquals("/x", PackageChecksum.clean("/../x"));
        assertEquals(".", PackageChecksum.clean(""));
        assertArrayEquals("a/b".getBytes(StandardCharsets.UTF_8),
                assertDoesNotThrowKey("a//b"));
    }

    private static byte[] assertDoesNotThrowKey(String name) {
        try {
            return PackageChecksum.checksumKey(name.getBytes(StandardCharsets.UTF_8));
        } catch (InvalidPackageException e) {
            throw new AssertionError(e);
        }
    }

    static String checksum(byte[] zip) throws InvalidPackageException, IOException {
        return PackageChecksum.compute(new ByteArrayInputStream(zip));
    }

    static byte[] zip(Map<String, String> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer : for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /** Hands out one byte per read, like a slow network stream. */
    private static final class Trickle extends FilterInputStream {
        Trickle(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return super.read(b, off, Math.min(len, 1));
        }
    }
}
