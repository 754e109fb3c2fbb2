package dify.reconciler.catalog;

import static dify.reconciler.testsupport.DifyPackageBuilder.aPackage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.HostileInput;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Packages that lie (property tests over seeded mutations of real packages): flipped bytes, truncation, size
 * fields that claim anything, names of any length, entries nested thousands deep. Inspecting one either names
 * the package exactly as the intact bytes would, or refuses it as an {@link InvalidPackageException}: never
 * another exception, never a hang.
 */
class LyingZipTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    @Test
    void aMutatedPackageIsNamedCorrectlyOrRefusedNeverAnythingElse() {
        HostileInput.forEachSeed(400, in -> {
            BuiltPackage pkg = aPackage().name("p" + in.nextInt(1000)).version("1.0." + in.nextInt(100))
                    .file("_assets/icon.svg", in.bytes(in.between(0, 3000))).paddedTo(in.between(8_000, 40_000), in.nextInt(1000))
                    .build();
            byte[] bytes = mutate(pkg.bytes(), in);
            PackageIdentity identity = assertTimeoutPreemptively(BOUND, () -> {
                try {
                    return PluginPackageInspector.inspect(new ByteArrayInputStream(bytes));
                } catch (InvalidPackageException refused) {
                    return null;
                }
            });
            if (identity != null && Arrays.equals(bytes, pkg.bytes())) {
                assertEquals(pkg.identifier(), identity.identifier());
            }
        });
    }

    @Test
    void arbitraryBytesAreRefusedAsNotAPackage() {
        HostileInput.forEachSeed(300, in -> {
            byte[] bytes = in.chance(0.5)
                    ? in.bytes(in.between(0, 5000))
                    : concat(new byte[] {0x50, 0x4b, 0x03, 0x04}, in.bytes(in.between(0, 5000))); // a zip's magic, then noise
            assertThrows(InvalidPackageException.class, () -> assertTimeoutPreemptively(BOUND,
                    () -> PluginPackageInspector.inspect(new ByteArrayInputStream(bytes))));
        });
    }

    @Test
    void aManifestBombIsRefusedWithoutBeingHeld() throws IOException {
        // 256 MiB of zeros deflate to about 250 KiB: the reader keeps at most 1 MiB of manifest.yaml.
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("manifest.yaml"));
            out.write("name: bomb\nversion: 1.0.0\n".getBytes(StandardCharsets.UTF_8));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++) {
                out.write(zeros);
            }
            out.closeEntry();
        }
        InvalidPackageException e = assertThrows(InvalidPackageException.class, () -> assertTimeoutPreemptively(BOUND,
                () -> PluginPackageInspector.inspect(new ByteArrayInputStream(zip.toByteArray()))));
        assertEquals(Problem.BAD_MANIFEST, e.problem(), e.getMessage());
    }

    @Test
    void entriesNestedThousandsDeepAndNamesOf64KiBAreHashedLikeAnyOther() throws Exception {
        String deep = "d/".repeat(5000) + "leaf.txt";
        String longName = "n".repeat(65_000);
        BuiltPackage pkg = aPackage().file(deep, "deep").file(longName, "long").build();

        PackageIdentity identity = assertTimeoutPreemptively(BOUND,
                () -> PluginPackageInspector.inspect(new ByteArrayInputStream(pkg.bytes())));

        assertEquals(pkg.identifier(), identity.identifier());
    }

    /** One of the lies a package can tell, at a seeded place. */
    private static byte[] mutate(byte[] original, HostileInput in) {
        byte[] b = original.clone();
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int localHeader = 0; // the first entry's local file header
        return switch (in.nextInt(9)) {
            case 0 -> b; // intact
            case 1 -> {
                for (int i = in.between(1, 8); i > 0; i--) {
                    b[in.nextInt(b.length)] ^= (byte) in.between(1, 255);
                }
                yield b;
            }
            case 2 -> Arrays.copyOf(b, in.nextInt(b.length)); // truncated anywhere
            case 3 -> {
                le.putInt(localHeader + 18, in.pick(List.of(0, 1, 0x7FFFFFFF, -1, in.nextInt(Integer.MAX_VALUE)))); // compressed size
                yield b;
            }
            case 4 -> {
                le.putInt(localHeader + 22, in.pick(List.of(0, 1, 0x7FFFFFFF, -1, in.nextInt(Integer.MAX_VALUE)))); // size
                yield b;
            }
            case 5 -> {
                le.putShort(localHeader + 26, (short) (int) in.pick(List.of(0, 0xFFFF, in.nextInt(0x10000)))); // name length
                yield b;
            }
            case 6 -> {
                le.putShort(localHeader + 8, (short) (int) in.pick(List.of(1, 9, 12, 14, 99, in.nextInt(0x10000)))); // method
                yield b;
            }
            case 7 -> concat(b, in.bytes(in.between(1, 2000))); // trailing garbage
            default -> {
                // An entry's bytes repeated: a second copy of the first local entry right after it (overlapping names).
                int cut = in.between(30, Math.min(b.length, 4000));
                yield concat(concat(Arrays.copyOf(b, cut), Arrays.copyOf(b, cut)), Arrays.copyOfRange(b, cut, b.length));
            }
        };
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }
}
