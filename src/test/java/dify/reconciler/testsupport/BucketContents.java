package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Every object of a bucket (or local storage folder), read directly (not through the code under test): key to the SHA-256 of its bytes. */
public final class BucketContents {

    private BucketContents() {
    }

    /** Two snapshots are equal exactly when the bucket holds the same keys with the same bytes. */
    public static Map<String, String> of(S3Client client, String bucket) {
        Map<String, String> objects = new TreeMap<>();
        for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
            byte[] bytes = client.getObjectAsBytes(b -> b.bucket(bucket).key(o.key())).asByteArray();
            objects.put(o.key(), sha256(bytes));
        }
        return objects;
    }

    /** The same for a local storage folder: every file under {@code root}, by its key ('/'-separated path). */
    public static Map<String, String> of(Path root) {
        Map<String, String> objects = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                objects.put(root.relativize(f).toString().replace('\\', '/'), sha256(Files.readAllBytes(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return objects;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
