package dify.reconciler.inventory.storage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.auth.oauth2.GoogleCredentials;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;

/**
 * How to reach the daemon's Google Cloud Storage bucket, from the daemon's own variables as its storage library
 * (dify-cloud-kit v0.1.3, cloud.google.com/go/storage v1.54) reads them. {@link #toString()} never shows the
 * credentials.
 *
 * @param bucket {@code PLUGIN_STORAGE_OSS_BUCKET}; required
 * @param credentialsJson {@code GCS_CREDENTIALS} decoded: a credentials JSON document (service account, or any
 *        other type Google's clients read); null when unset, which means application default credentials
 * @param emulator {@code STORAGE_EMULATOR_HOST} as a base URL ({@code http://host:port}); null when unset. Google's
 *        Go client (the daemon's) then uses no credentials at all, whatever {@code GCS_CREDENTIALS} says; so do we
 */
public record GcsSettings(String bucket, byte[] credentialsJson, URI emulator) {

    public static final String BUCKET = "PLUGIN_STORAGE_OSS_BUCKET";
    public static final String CREDENTIALS = "GCS_CREDENTIALS";
    public static final String EMULATOR_HOST = "STORAGE_EMULATOR_HOST";
    /** Objects only: read, write, delete (the IAM permissions decide what is allowed). */
    static final String SCOPE = "https://www.googleapis.com/auth/devstorage.read_write";

    public GcsSettings {
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException(BUCKET + " is not set: the Google Cloud Storage bucket the daemon stores plugins in");
        }
    }

    /**
     * Reads and checks every variable.
     *
     * @throws IllegalArgumentException naming the variable (never its value) when one is missing or wrong
     */
    public static GcsSettings from(StorageVariables variables) {
        String bucket = variables.require(BUCKET, "the Google Cloud Storage bucket the daemon stores plugins in");
        byte[] credentials = variables.get(CREDENTIALS).map(GcsSettings::decodeCredentials).orElse(null);
        URI emulator = variables.get(EMULATOR_HOST).map(GcsSettings::emulatorUrl).orElse(null);
        return new GcsSettings(bucket, credentials, emulator);
    }

    /** Where the credentials come from, for messages and {@code describe()}: never the credentials themselves. */
    public String credentialsSource() {
        if (emulator != null) {
            return "no credentials (" + EMULATOR_HOST + " is set)";
        }
        return credentialsJson != null ? CREDENTIALS : "application default credentials (" + CREDENTIALS + " is empty)";
    }

    /**
     * The daemon decodes with Go's {@code base64.StdEncoding}, which ignores line breaks (so the wrapped output of
     * {@code base64 key.json} works) and requires the standard alphabet. Messages never quote the value, and carry
     * no cause whose message could (a JSON parser quotes the text around an error).
     */
    static byte[] decodeCredentials(String value) {
        byte[] json;
        try {
            json = Base64.getDecoder().decode(value.replace("\r", "").replace("\n", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(CREDENTIALS + " is not base64 (standard alphabet): it must hold a service"
                    + " account key file encoded as base64, e.g. `base64 -w0 key.json`");
        }
        JsonNode document;
        try {
            document = new ObjectMapper().readTree(new String(json, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException(CREDENTIALS + " is base64 but not of a JSON document: it must hold a service"
                    + " account key file encoded as base64");
        }
        if (document == null || !document.isObject() || !document.path("type").isTextual()) {
            throw new IllegalArgumentException(CREDENTIALS + " is base64 of JSON without a \"type\" field: it must hold a"
                    + " Google credentials file (a service account key has \"type\": \"service_account\")");
        }
        credentials(json); // a key that cannot be read stops start-up here, naming the variable
        return json;
    }

    /**
     * The credentials of the decoded {@code GCS_CREDENTIALS}, scoped for reading and writing objects. A failure names
     * the variable and quotes nothing of it (no cause either: a key parser's message may quote the key).
     */
    static GoogleCredentials credentials(byte[] json) {
        try {
            return GoogleCredentials.fromStream(new ByteArrayInputStream(json)).createScoped(SCOPE);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(CREDENTIALS + " is base64 JSON but Google's client cannot read credentials"
                    + " from it (" + e.getClass().getSimpleName() + "): it must hold a service account key file");
        }
    }

    /** {@code host:port} or {@code scheme://host:port}, as Google's Go client accepts it; any path is dropped, as it does. */
    static URI emulatorUrl(String value) {
        String withScheme = value.contains("://") ? value : "http://" + value;
        URI uri;
        try {
            uri = new URI(withScheme);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(EMULATOR_HOST + "='" + value + "' is not host:port or http://host:port");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException(EMULATOR_HOST + "='" + value + "' is not host:port or http://host:port");
        }
        return URI.create(scheme + "://" + uri.getRawAuthority());
    }

    @Override
    public String toString() {
        return "GcsSettings[bucket=" + bucket + ", credentials=" + credentialsSource()
                + (emulator == null ? "" : ", emulator=" + emulator) + "]";
    }

    /** Records compare arrays by identity; settings compare by content (tests compare parsed settings). */
    @Override
    public boolean equals(Object o) {
        return o instanceof GcsSettings other && bucket.equals(other.bucket)
                && java.util.Arrays.equals(credentialsJson, other.credentialsJson)
                && java.util.Objects.equals(emulator, other.emulator);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(bucket, java.util.Arrays.hashCode(credentialsJson), emulator);
    }
}
