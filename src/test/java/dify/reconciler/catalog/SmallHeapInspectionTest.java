package dify.reconciler.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deep verify streams: a 50 MiB package (the daemon's default upload limit, incompressible) and a zip bomb (an
 * entry of 1 GiB of zeros, about 1 MiB compressed) are inspected by a JVM whose whole heap is 16 MiB. Holding
 * either entry in memory would end in OutOfMemoryError; the identifiers are checked against an independent
 * computation of the daemon's checksum.
 */
class SmallHeapInspectionTest {

    private static final int HEAP_MIB = 16;

    @TempDir
    Path dir;

    @Test
    void aFiftyMebibytePackageAndAZipBombFitInASixteenMebibyteHeap() throws Exception {
        Path big = dir.resolve("big.difypkg");
        String bigChecksum = write(big, "big", 50 << 20, false);
        Path bomb = dir.resolve("bomb.difypkg");
        String bombChecksum = write(bomb, "bomb", 1 << 30, true);
        assertTrue(Files.size(bomb) < 4 << 20, "the bomb is small on disk: " + Files.size(bomb));

        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx" + HEAP_MIB + "m",
                "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), SmallHeapInspection.class.getName(), big.toString(),
                bomb.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), "inspection finished");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertEquals("big:1.0.0@" + bigChecksum, lines.get(0), out);
        assertEquals("bomb:1.0.0@" + bombChecksum, lines.get(1), out);
        assertTrue(Long.parseLong(lines.get(2).substring("max heap ".length())) <= (long) HEAP_MIB << 20, out);
    }

    /**
     * Writes a package with a manifest and one entry of {@code size} bytes (zeros, deflated, for a bomb; random and
     * stored otherwise), streaming; returns the daemon's checksum computed independently (sha256 over the sha256
     * of each file's name and of its bytes, in name order: manifest.yaml before payload.bin).
     */
    private static String write(Path file, String name, long size, boolean zeros) throws Exception {
        byte[] manifest = ("author: \nname: " + name + "\nversion: 1.0.0\n").getBytes(StandardCharsets.UTF_8);
        MessageDigest payloadSha = MessageDigest.getInstance("SHA-256");
        CRC32 crc = new CRC32();
        Random random = new Random(7);
        byte[] chunk = new byte[1 << 16];
        if (!zeros) {
            // A stored entry needs its CRC and size up front: a first pass computes them.
            for (long left = size; left > 0; left -= chunk.length) {
                random.nextBytes(chunk);
                crc.update(chunk, 0, (int) Math.min(chunk.length, left));
            }
            random = new Random(7);
        }
        try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(file)); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.putNextEntry(new ZipEntry("manifest.yaml"));
            zip.write(manifest);
            zip.closeEntry();
            ZipEntry payload = new ZipEntry("payload.bin");
            if (!zeros) {
                payload.setMethod(ZipEntry.STORED);
                payload.setSize(size);
                payload.setCompressedSize(size);
                payload.setCrc(crc.getValue());
            }
            zip.putNextEntry(payload);
            for (long left = size; left > 0; left -= chunk.length) {
                if (!zeros) {
                    random.nextBytes(chunk);
                }
                int n = (int) Math.min(chunk.length, left);
                zip.write(chunk, 0, n);
                payloadSha.update(chunk, 0, n);
            }
            zip.closeEntry();
        }
        MessageDigest all = MessageDigest.getInstance("SHA-256");
        all.update(sha256("manifest.yaml".getBytes(StandardCharsets.UTF_8)));
        all.update(sha256(manifest));
        all.update(sha256("payload.bin".getBytes(StandardCharsets.UTF_8)));
        all.update(payloadSha.digest());
        return HexFormat.of().formatHex(all.digest());
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }
}
