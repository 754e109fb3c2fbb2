package dify.reconciler.testsupport;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** Every object of a bucket, read directly (not through the code under test): key to the SHA-256 of its bytes. */
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

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
