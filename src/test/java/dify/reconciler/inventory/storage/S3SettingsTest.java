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
        assertEquals(S3Settings.Credentials.DEFAULT_CHAIN,
                new S3Settings(null, true, true, null, null, "us-east-1", "b").credentials());
        assertEquals(S3Settings.Credentials.STATIC_KEYS, new S3Settings(null, true, true, "k", "s", "us-east-1", "b").credentials());
        assertThrows(IllegalArgumentException.class, () -> new S3Settings(null, true, true, "k", "", "us-east-1", "b"));
    }

    @Test
    void appliesPathStyleWhateverS3UseAwsSays() {
        // A chart pointing at MinIO sets only S3_ENDPOINT and S3_USE_PATH_STYLE=true, leaving S3_USE_AWS at true.
        assertTrue(new S3Settings("http://minio:9000", true, true, "k", "s", "us-east-1", "b").forcePathStyle());
        assertTrue(new S3Settings("http://minio:9000", true, false, "k", "s", "us-east-1", "b").forcePathStyle());
        assertTrue(new S3Settings(null, true, true, "k", "s", "us-east-1", "b").forcePathStyle());
        assertFalse(new S3Settings("http://minio:9000", false, true, "k", "s", "us-east-1", "b").forcePathStyle());
        assertFalse(new S3Settings("http://minio:9000", false, false, "k", "s", "us-east-1", "b").forcePathStyle());
    }

    @Test
    void managedIamOnAwsIgnoresTheStaticKeys() {
        S3Settings iam = new S3Settings(null, true, true, true, "AKIASTALE", "stale", "us-east-1", "b");
        assertEquals(S3Settings.Credentials.DEFAULT_CHAIN, iam.credentials());
        // Half a key pair does not matter when the keys are ignored.
        assertEquals(S3Settings.Credentials.DEFAULT_CHAIN,
                new S3Settings(null, true, true, true, "AKIASTALE", "", "us-east-1", "b").credentials());
        // The daemon's custom-endpoint branch (S3_USE_AWS=false) always signs with the static keys.
        assertEquals(S3Settings.Credentials.STATIC_KEYS,
                new S3Settings("http://minio:9000", true, false, true, "k", "s", "us-east-1", "b").credentials());
        assertEquals(S3Settings.Credentials.STATIC_KEYS,
                new S3Settings(null, true, true, false, "k", "s", "us-east-1", "b").credentials());
    }

    @Test
    void bothKeysEmptyMeansTheDefaultChainOnEitherBranch() {
        assertEquals(S3Settings.Credentials.DEFAULT_CHAIN,
                new S3Settings("http://minio:9000", true, false, false, "", "", "us-east-1", "b").credentials());
        assertEquals(S3Settings.Credentials.DEFAULT_CHAIN,
                new S3Settings(null, true, true, false, "", "", "us-east-1", "b").credentials());
    }

    @Test
    void neverPrintsTheSecretKey() {
        String text = new S3Settings("http://minio:9000", true, false, "AKID", "very-secret", "us-east-1", "b").toString();

        assertFalse(text.contains("very-secret"), text);
        assertEquals("S3Settings[endpoint=http://minio:9000, usePathStyle=true, useAws=false, useManagedIam=false, accessKey=AKID,"
                + " secretKey=***, region=us-east-1, bucket=b]", text);
    }
}
