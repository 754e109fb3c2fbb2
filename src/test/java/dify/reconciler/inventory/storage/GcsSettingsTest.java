package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.DaemonSettings;
import dify.reconciler.config.StorageProducer;
import dify.reconciler.config.StorageType;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The daemon's GCS variables, read as its Go storage library reads them; the credentials never shown. */
class GcsSettingsTest {

    private static final String PRIVATE_KEY_MARK = "MII";

    private static StorageVariables variables(Map<String, String> values) {
        return new StorageVariables(name -> Optional.ofNullable(values.get(name)));
    }

    private static GcsSettings settings(Map<String, String> values) {
        return GcsSettings.from(variables(values));
    }

    /** A service account key file as Google issues them, with a fresh RSA key. */
    static String serviceAccountJson() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(generator.generateKeyPair().getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        return "{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"abc123\",\"private_key\":"
                + "\"" + pem.replace("\n", "\\n") + "\",\"client_email\":\"reconciler@p.iam.gserviceaccount.com\","
                + "\"client_id\":\"1\",\"token_uri\":\"https://oauth2.googleapis.com/token\"}";
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheBucketAndDefaultsToApplicationDefaultCredentials() {
        GcsSettings s = settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", " dify-plugins ", "GCS_CREDENTIALS", "  "));

        assertEquals("dify-plugins", s.bucket());
        assertNull(s.credentialsJson(), "blank GCS_CREDENTIALS: application default credentials, as the daemon");
        assertNull(s.emulator());
        assertTrue(s.credentialsSource().startsWith("application default credentials"), s.credentialsSource());
    }

    @Test
    void aMissingBucketNamesTheVariable() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> settings(Map.of()));
        assertTrue(e.getMessage().startsWith("PLUGIN_STORAGE_OSS_BUCKET is not set"), e.getMessage());
    }

    @Test
    void decodesServiceAccountCredentialsAlsoWhenTheBase64IsWrapped() throws Exception {
        String json = serviceAccountJson();
        // `base64 key.json` wraps at 76 characters; Go's StdEncoding (the daemon's) ignores the line breaks.
        String wrapped = Base64.getMimeEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8));
        assertTrue(wrapped.contains("\r\n"));

        GcsSettings s = settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "b", "GCS_CREDENTIALS", wrapped));

        assertArrayEquals(json.getBytes(StandardCharsets.UTF_8), s.credentialsJson());
        assertEquals("GCS_CREDENTIALS", s.credentialsSource());
        assertFalse(s.toString().contains(PRIVATE_KEY_MARK), s.toString());
        assertFalse(s.toString().contains(wrapped.substring(0, 20)), s.toString());
    }

    @Test
    void credentialsThatAreNotBase64JsonStopStartUpNamingTheVariableNeverTheValue() throws Exception {
        String key = serviceAccountJson();
        Map<String, String> cases = new HashMap<>();
        cases.put("not base64", "{\"type\":\"service_account\",\"private_key\":\"MIIsecret\"}"); // raw JSON, not encoded
        cases.put("not of a JSON document", base64("MIIsecret-not-json"));
        cases.put("without a \"type\" field", base64("{\"private_key\":\"MIIsecret\"}"));
        cases.put("cannot read credentials", base64(key.replace("MII", "MIIsecretXX")));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "b", "GCS_CREDENTIALS", c.getValue())), c.getKey());
            assertTrue(e.getMessage().startsWith("GCS_CREDENTIALS is "), e.getMessage());
            assertTrue(e.getMessage().contains(c.getKey()), c.getKey() + ": " + e.getMessage());
            assertFalse(e.getMessage().contains("secret") || e.getMessage().contains(PRIVATE_KEY_MARK), e.getMessage());
            assertNull(e.getCause(), "no cause whose message could quote the value");
        }
    }

    @Test
    void readsTheEmulatorHostAsGooglesGoClientDoes() {
        Map<String, URI> forms = Map.of(
                "127.0.0.1:4443", URI.create("http://127.0.0.1:4443"),
                "http://gcs:4443", URI.create("http://gcs:4443"),
                "https://gcs.internal", URI.create("https://gcs.internal"),
                "http://gcs:4443/storage/v1/", URI.create("http://gcs:4443"));
        forms.forEach((value, expected) -> assertEquals(expected,
                settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "b", "STORAGE_EMULATOR_HOST", value)).emulator(), value));

        for (String wrong : List.of("ftp://gcs:21", "http://", "gcs:port")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "b", "STORAGE_EMULATOR_HOST", wrong)), wrong);
            assertTrue(e.getMessage().startsWith("STORAGE_EMULATOR_HOST="), e.getMessage());
        }
    }

    @Test
    void theEmulatorMeansNoCredentialsWhateverGcsCredentialsSays() throws Exception {
        GcsSettings s = settings(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "b", "STORAGE_EMULATOR_HOST", "127.0.0.1:1",
                "GCS_CREDENTIALS", base64(serviceAccountJson())));

        assertEquals("no credentials (STORAGE_EMULATOR_HOST is set)", s.credentialsSource());
        try (GcsObjectStorage storage = GcsObjectStorage.create(s, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP, null)) {
            assertEquals("gs://b (http://127.0.0.1:1, no credentials (STORAGE_EMULATOR_HOST is set))", storage.describe());
        }
    }

    @Test
    void onlyGcsListsRawPrefixes() {
        for (StorageType type : StorageType.values()) {
            assertEquals(type == StorageType.GCS, type.daemonListsRawPrefixes(), type.label());
        }
    }

    @Test
    void everyAliasOfTheDaemonSelectsGcsAndAWrongVariableStopsStartUp() throws Exception {
        for (String alias : List.of("gcs", "google-storage", "google_storage")) {
            assertEquals(StorageType.GCS, StorageType.parse(alias));
            Map<String, String> env = new HashMap<>(Map.of("DB_HOST", "h", "DB_USERNAME", "u", "PLUGIN_STORAGE_TYPE", alias,
                    "PLUGIN_STORAGE_OSS_BUCKET", "b", "GCS_CREDENTIALS", base64(serviceAccountJson())));
            DaemonSettings daemon = DaemonSettings.from(name -> Optional.ofNullable(env.get(name)));
            assertEquals(StorageType.GCS, daemon.storageType());
            assertEquals("gs://b", daemon.storageDescription());
            assertTrue(daemon.layout().daemonListsRawPrefixes(), "the daemon's GCS storage lists 'plugin' as a raw prefix");
            assertEquals("plugin", daemon.layout().installedListing());
            try (var storage = StorageProducer.open(daemon, S3Timeouts.DEFAULTS, StorageRequestListener.NO_OP)) {
                assertTrue(storage instanceof GcsObjectStorage, alias);
                assertTrue(storage.describe().startsWith("gs://b (https://storage.googleapis.com"), storage.describe());
                assertTrue(storage.describe().endsWith(", GCS_CREDENTIALS)"), storage.describe());
                assertFalse(storage.describe().contains(PRIVATE_KEY_MARK));
            }

            env.put("GCS_CREDENTIALS", "%%%not-base64%%%");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DaemonSettings.from(name -> Optional.ofNullable(env.get(name))));
            assertTrue(e.getMessage().startsWith("GCS_CREDENTIALS is not base64"), e.getMessage());
            assertFalse(e.getMessage().contains("%%%"), e.getMessage());
            env.put("GCS_CREDENTIALS", "");
            env.remove("PLUGIN_STORAGE_OSS_BUCKET");
            e = assertThrows(IllegalArgumentException.class, () -> DaemonSettings.from(name -> Optional.ofNullable(env.get(name))));
            assertTrue(e.getMessage().startsWith("PLUGIN_STORAGE_OSS_BUCKET is not set"), e.getMessage());
        }
    }
}
