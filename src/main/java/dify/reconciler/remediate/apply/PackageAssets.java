package dify.reconciler.remediate.apply;

import dify.reconciler.inventory.storage.ObjectStorage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Finds an asset's bytes in a package: the daemon names each file of {@code _assets/} by
 * {@code hex(sha256(bytes || file name))} plus the extension of the file name (Go's {@code filepath.Ext}), the
 * name relative to {@code _assets/}. Streams the zip; keeps only one entry's bytes at a time.
 */
final class PackageAssets {

    private static final String FOLDER = "_assets/";

    private PackageAssets() {
    }

    /** The bytes of the {@code _assets/} entry whose id is {@code assetId}, or null when none has it. */
    static byte[] find(ObjectStorage storage, String packageKey, String assetId) throws IOException {
        try (InputStream in = storage.open(packageKey); ZipInputStream zip = new ZipInputStream(in, StandardCharsets.UTF_8)) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.isDirectory() || !e.getName().startsWith(FOLDER)) {
                    continue;
                }
                String fileName = e.getName().substring(FOLDER.length());
                byte[] bytes = zip.readAllBytes();
                if (assetId.equals(assetId(fileName, bytes))) {
                    return bytes;
                }
            }
        }
        return null;
    }

    static String assetId(String fileName, byte[] bytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes);
            sha.update(fileName.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()) + extension(fileName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    private static String extension(String fileName) {
        for (int i = fileName.length() - 1; i >= 0 && fileName.charAt(i) != '/'; i--) {
            if (fileName.charAt(i) == '.') {
                return fileName.substring(i);
            }
        }
        return "";
    }
}
