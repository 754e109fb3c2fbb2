package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class S3SettingsTest {

    @Test
    void requiresRegionAndBucket() {
        IllegalArgumentException region = assertThrows(IllegalArgumentException.class,
                () -> new S3Settings(null, true, true, "", "", " ", "bucket"));
        assertTrue(region.getMessage().contains("AWS_REGION"));
        IllegalArgumentException bucket = assertThrows(IllegalArgumentException.class,
                () -> new S3Settings(null, true, true, "", "", "eu-west-1", ""));
        assertTrue(bucket.getMessage().contains("PLUGIN_STORAGE_OSS_BUCKET"));
    }

    @Test
    void requiresAnEndpointWhenNotOnAws() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new S3Settings("", true, false, "k", "s", "us-east-1", "b"));
        assertTrue(e.getMessage().contains("S3_ENDPOINT"));
        assertNull(new S3Settings(" ", true, true, "k", "s", "us-east-1", "b").endpoint());
    }

    @Test
    void usesTheDefaultCredentialChainOnlyWhenBothKeysAreEmpty() {
        assertTrue(new S3Settings(null, true, true, null, null, "us-east-1", "b").useDefaultCredentials());
        assertFalse(new S3Settings(null, true, true, "k", "s", "us-east-1", "b").useDefaultCredentials());
        assertThrows(IllegalArgumentException.class, () -> new S3Settings(null, true, true, "k", "", "us-east-1", "b"));
    }

    @Test
    void neverPrintsTheSecretKey() {
        String text = new S3Settings("http://minio:9000", true, false, "AKID", "very-secret", "us-east-1", "b").toString();

        assertFalse(text.contains("very-secret"), text);
        assertEquals("S3Settings[endpoint=http://minio:9000, usePathStyle=true, useAws=false, accessKey=AKID,"
                + " secretKey=***, region=us-east-1, bucket=b]", text);
    }
}
