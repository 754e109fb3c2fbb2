package dify.reconciler.catalog;

import dify.reconciler.catalog.InvalidPackageException.Problem;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The daemon's package checksum, the part after {@code @} in a plugin unique identifier. It is not the SHA-256
 * of the file: for every zip entry (path {@code p}, content {@code c}) {@code m[p] = sha256(c)}; the paths are
 * sorted byte-wise; the checksum is {@code hex(sha256(concat of sha256(p) || m[p]))}. The zip comment (where
 * the signature lives) is not included.
 *
 * <p>Entry names follow the daemon's reading (daemon {@code pkg/plugin_packager/decoder/checksum.go} with Go's
 * {@code archive/zip} {@code Reader.Open}):
 * <ul>
 * <li>the path is the raw name cleaned like Go's {@code path.Join(dir, file)} ({@code a/./b} becomes {@code a/b});
 * <li>a <b>directory entry</b> ({@code name/}) makes the daemon fail: it tries to read the directory and gets
 * "is a directory", so no identifier exists for such a package. We refuse it the same way
 * ({@link Problem#REJECTED_BY_DAEMON}) rather than inventing a checksum the daemon never produced;
 * <li>names that are absolute, climb out with {@code ..}, or contain {@code \} cannot be opened by the daemon
 * either, and are refused alike;
 * <li>when two entries clean to the same path the first one's content counts, once (Go opens the first).
 * </ul>
 */
public final class PackageChecksum {

    /** {@code manifest.yaml} is small; anything bigger is not a manifest we want to hold in memory. */
    static final int MANIFEST_LIMIT = 1024 * 1024;

    static final String MANIFEST = "manifest.yaml";

    private PackageChecksum() {
    }

    /**
     * Computes the checksum of the zip read from {@code zip} (read to its end, not closed).
     *
     * @throws InvalidPackageException when the bytes are not a complete, readable zip, or hold an entry for which
     *     the daemon could not compute a checksum
     * @throws IOException when reading {@code zip} itself fails
     */
    public static String compute(InputStream zip) throws InvalidPackageException, IOException {
        return scan(zip, false).checksum();
    }

    /** The checksum and, if asked for, the bytes of {@code manifest.yaml} (null when absent). */
    record Scan(String checksum, byte[] manifest) {
    }

    /** One pass over the archive: digests every entry and keeps {@code manifest.yaml} when asked to. */
    static Scan scan(InputStream zip, boolean captureManifest) throws InvalidPackageException, IOException {
        Map<byte[], byte[]> digests = new TreeMap<>(Arrays::compareUnsigned);
        ByteArrayOutputStream[] manifest = new ByteArrayOutputStream[1];
        new ZipStreamReader(zip).read(rawName -> {
            byte[] key = checksumKey(rawName);
            boolean first = !digests.containsKey(key);
            boolean isManifest = captureManifest && first && Arrays.equals(key, MANIFEST.getBytes(StandardCharsets.UTF_8));
            if (isManifest) {
                manifest[0] = new ByteArrayOutputStream();
            }
            MessageDigest digest = sha256();
            return new ZipStreamReader.ContentSink() {
                @Override
                public void accept(byte[] buffer, int offset, int length) throws InvalidPackageException {
                    digest.update(buffer, offset, length);
                    if (isManifest) {
                        if (manifest[0].size() + length > MANIFEST_LIMIT) {
                            throw new InvalidPackageException(Problem.BAD_MANIFEST,
                                    "manifest.yaml is larger than " + MANIFEST_LIMIT + " bytes");
                        }
                        manifest[0].write(buffer, offset, length);
                    }
                }

                @Override
                public void end() {
                    if (first) {
                        digests.put(key, digest.digest());
                    }
                }
            };
        });
        return new Scan(combine(digests), manifest[0] == null ? null : manifest[0].toByteArray());
    }

    /** The final step: hash of {@code sha256(path) || digest} over paths in unsigned byte order. */
    static String combine(Map<byte[], byte[]> digestsInByteOrder) {
        MessageDigest all = sha256();
        for (Map.Entry<byte[], byte[]> e : digestsInByteOrder.entrySet()) {
            all.update(sha256().digest(e.getKey()));
            all.update(e.getValue());
        }
        return HexFormat.of().formatHex(all.digest());
    }

    /**
     * The path under which the daemon records an entry: Go's {@code path.Clean} of the raw name. Works on the raw
     * bytes (ISO-8859-1 maps bytes to chars one to one; {@code /} and {@code .} never occur inside a multi-byte
     * UTF-8 sequence), so non-UTF-8 names hash exactly as the daemon hashes them.
     */
    static byte[] checksumKey(byte[] rawName) throws InvalidPackageException {
        String name = new String(rawName, StandardCharsets.ISO_8859_1);
        String display = ZipStreamReader.display(rawName);
        if (name.endsWith("/")) {
            throw new InvalidPackageException(Problem.REJECTED_BY_DAEMON, "package has a directory entry '" + display
                    + "'; the daemon cannot compute a checksum for it (reading a directory fails)");
        }
        if (name.indexOf('\\') >= 0) {
            throw new InvalidPackageException(Problem.REJECTED_BY_DAEMON, "entry name '" + display
                    + "' contains a backslash; the daemon cannot open it");
        }
        String cleaned = clean(name);
        if (cleaned.equals(".") || cleaned.startsWith("/") || cleaned.equals("..") || cleaned.startsWith("../")) {
            throw new InvalidPackageException(Problem.REJECTED_BY_DAEMON, "entry name '" + display
                    + "' is not a relative path inside the package; the daemon cannot open it");
        }
        return cleaned.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Go's {@code path.Clean}: drop empty and {@code .} elements, resolve {@code ..} where possible. */
    static String clean(String path) {
        boolean rooted = path.startsWith("/");
        Deque<String> parts = new ArrayDeque<>();
        for (String part : path.split("/", -1)) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
                    parts.removeLast();
                } else if (!rooted) {
                    parts.addLast("..");
                }
            } else {
                parts.addLast(part);
            }
        }
        String joined = String.join("/", parts);
        if (rooted) {
            return "/" + joined;
        }
        return joined.isEmpty() ? "." : joined;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
