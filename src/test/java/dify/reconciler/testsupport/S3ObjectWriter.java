package dify.reconciler.testsupport;

import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Puts objects into a bucket. S3 sets Last-Modified itself and no API can change it, so tests that need
 * old objects use {@link LocalObjectWriter#setLastModified} or compare against a clock set in the future.
 */
public final class S3ObjectWriter implements ObjectWriter {

    private final S3Client client;
    private final String bucket;

    public S3ObjectWriter(S3Client client, String bucket) {
        this.client = client;
        this.bucket = bucket;
    }

    @Override
    public void put(String key, byte[] content) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(content));
    }
}
