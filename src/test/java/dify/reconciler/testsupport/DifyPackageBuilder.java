package dify.reconciler.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Makes real {@code .difypkg} bytes for tests: {@code manifest.yaml}, an icon under {@code _assets/}, a few
 * more files, optionally a directory entry, a zip comment (where signed packages carry their signature) and
 * incompressible padding up to a size.
 *
 * <p>The checksum is computed here from the builder's own map of entries, by a deliberately plain second
 * implementation of the daemon's rule, so tests can hold the production code against it.
 */
public final class DifyPackageBuilder {

    private static final String PADDING_ENTRY = "_padding.bin";
    /** A fixed entry time, so the same builder makes the same bytes. */
    private static final long ENTRY_TIME = 1_736_000_000_000L;

    private String author = "langgenius";
    private String name = "demo";
    private String version = "0.0.1";
    private String iconName = "icon.svg";
    private byte[] iconBytes = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>".getBytes(StandardCharsets.UTF_8);
    private String manifestOverride;
    private boolean withManifest = true;
    private final Map<String, byte[]> extraFiles = new LinkedHashMap<>();
    private final List<String> directories = new ArrayList<>();
    private String comment;
    private int targetSize = -1;
    private long seed = 42;
    private boolean stored;

    public static DifyPackageBuilder aPackage() {
        return new DifyPackageBuilder().file("main.py", "from dify_plugin import Plugin\n")
                .file("provider/demo.yaml", "identity:\n  name: demo\n")
                .file("requirements.txt", "dify_plugin>=0.2.0\n");
    }

    public DifyPackageBuilder author(String author) {
        this.author = author;
        return this;
    }

    public DifyPackageBuilder name(String name) {
        this.name = name;
        return this;
    }

    public DifyPackageBuilder version(String version) {
        this.version = version;
        return this;
    }

    /** The icon file, written to {@code _assets/<fileName>} and named in the manifest's {@code icon}. */
    public DifyPackageBuilder icon(String fileName, byte[] bytes) {
        this.iconName = fileName;
        this.iconBytes = bytes.clone();
        return this;
    }

    public DifyPackageBuilder file(String path, String content) {
        return file(path, content.getBytes(StandardCharsets.UTF_8));
    }

    public DifyPackageBuilder file(String path, byte[] content) {
        extraFiles.put(path, content.clone());
        return this;
    }

    /** Adds an explicit directory entry ({@code path/}); the daemon cannot compute a checksum for such a package. */
    public DifyPackageBuilder directory(String path) {
        directories.add(path.endsWith("/") ? path : path + "/");
        return this;
    }

    /** The zip comment, e.g. {@code {"signature":"…","time":…}} as the daemon's signer writes it. */
    public DifyPackageBuilder comment(String comment) {
        this.comment = comment;
        return this;
    }

    /** Replaces the generated manifest with this text. */
    public DifyPackageBuilder manifest(String yaml) {
        this.manifestOverride = yaml;
        return this;
    }

    public DifyPackageBuilder withoutManifest() {
        this.withManifest = false;
        return this;
    }

    /** Adds random, incompressible content so the package is exactly {@code bytes} long. */
    public DifyPackageBuilder paddedTo(int bytes, long seed) {
        this.targetSize = bytes;
        this.seed = seed;
        return this;
    }

    /** Writes every entry STORED instead of deflated. */
    public DifyPackageBuilder stored() {
        this.stored = true;
        return this;
    }

    /** The asset id the daemon would give this package's icon. */
    public String iconAssetId() {
        return BuiltPackage.assetId(iconName, iconBytes);
    }

    public BuiltPackage build() {
        Map<String, byte[]> files = files(null);
        byte[] bytes = zip(files);
        if (targetSize >= 0) {
            // Size grows one for one with stored padding, so one correction lands exactly.
            int overhead = zip(files(new byte[0])).length;
            int padding = targetSize - overhead;
            if (padding < 0) {
                throw new IllegalArgumentException("package is already " + overhead + " bytes, more than " + targetSize);
            }
            byte[] random = new byte[padding];
            new Random(seed).nextBytes(random);
            files = files(random);
            bytes = zip(files);
            if (bytes.length != targetSize) {
                throw new IllegalStateException("padding missed: " + bytes.length + " != " + targetSize);
            }
        }
        String checksum = directories.isEmpty() ? independentChecksum(files) : null;
        String identifier = checksum == null
                ? null
                : (author == null || author.isEmpty() ? "" : author + "/") + name + ":" + version + "@" + checksum;
        return new BuiltPackage(bytes, identifier, author, name, version, checksum);
    }

    private Map<String, byte[]> files(byte[] padding) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (withManifest) {
            files.put("manifest.yaml", (manifestOverride != null ? manifestOverride : manifestText())
                    .getBytes(StandardCharsets.UTF_8));
        }
        files.put("_assets/" + iconName, iconBytes);
        files.putAll(extraFiles);
        if (padding != null) {
            files.put(PADDING_ENTRY, padding);
        }
        return files;
    }

    private String manifestText() {
        return "version: " + version + "\n"
                + "type: plugin\n"
                + (author == null ? "" : "author: \"" + author + "\"\n")
                + "name: \"" + name + "\"\n"
                + "label:\n  en_US: \"Demo\"\n"
                + "created_at: \"2025-01-08T15:22:00.000000000Z\"\n"
                + "icon: " + iconName + "\n"
                + "description:\n  en_US: A plugin built by a test\n"
                + "resource:\n  memory: 1048576\n"
                + "plugins:\n  tools:\n    - \"provider/demo.yaml\"\n"
                + "meta:\n  version: 0.0.1\n  arch:\n    - \"amd64\"\n  runner:\n    language: \"python\"\n"
                + "    version: \"3.12\"\n    entrypoint: \"main\"\n";
    }

    private byte[] zip(Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String dir : directories) {
                ZipEntry entry = new ZipEntry(dir);
                entry.setTime(ENTRY_TIME);
                zip.putNextEntry(entry);
                zip.closeEntry();
            }
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                ZipEntry entry = new ZipEntry(file.getKey());
                entry.setTime(ENTRY_TIME);
                if (stored || file.getKey().equals(PADDING_ENTRY)) {
                    CRC32 crc = new CRC32();
                    crc.update(file.getValue());
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(file.getValue().length);
                    entry.setCompressedSize(file.getValue().length);
                    entry.setCrc(crc.getValue());
                }
                zip.putNextEntry(entry);
                zip.write(file.getValue());
                zip.closeEntry();
            }
            if (comment != null) {
                zip.setComment(comment);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The daemon's rule, written out plainly from the in-memory entries (not the production code). */
    static String independentChecksum(Map<String, byte[]> files) {
        List<byte[]> paths = new ArrayList<>();
        for (String path : files.keySet()) {
            paths.add(path.getBytes(StandardCharsets.UTF_8));
        }
        paths.sort((a, b) -> {
            for (int i = 0; i < Math.min(a.length, b.length); i++) {
                int d = (a[i] & 0xFF) - (b[i] & 0xFF);
                if (d != 0) {
                    return d;
                }
            }
            return a.length - b.length;
        });
        ByteArrayOutputStream concat = new ByteArrayOutputStream();
        for (byte[] path : paths) {
            concat.writeBytes(sha256(path));
            concat.writeBytes(sha256(files.get(new String(path, StandardCharsets.UTF_8))));
        }
        return HexFormat.of().formatHex(sha256(concat.toByteArray()));
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
