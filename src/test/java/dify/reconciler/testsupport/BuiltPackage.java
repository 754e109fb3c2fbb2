package dify.reconciler.testsupport;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A package made by {@link DifyPackageBuilder}: its bytes and what the daemon would call it. {@code checksum} and
 * {@code identifier} are null when the package has something the daemon cannot hash (a directory entry).
 */
public record BuiltPackage(byte[] bytes, String identifier, String author, String name, String version,
        String checksum) {

    /** The key of this package under {@code plugin_packages/} (or {@code plugin/} with the other prefix). */
    public String key(String prefix) {
        return prefix + identifier;
    }

    /**
     * The id the daemon gives an uploaded asset: {@code hex(sha256(bytes || fileName))} plus the extension of
     * {@code fileName} as Go's {@code filepath.Ext} sees it (from the last dot of the last path element).
     * {@code fileName} is the name as written in the manifest, relative to {@code _assets/}.
     */
    public static String assetId(String fileName, byte[] bytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes);
            sha.update(fileName.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest()) + extension(fileName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
