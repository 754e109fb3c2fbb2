package dify.reconciler.inventory.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GCS_CREDENTIALS} empty (and no {@code STORAGE_EMULATOR_HOST}): our client uses Google's application default
 * credentials, as the daemon's Go client does. Here they are a service-account key in the well-known ADC file (what
 * {@code gcloud auth application-default login} or a mounted key gives), whose {@code token_uri} is a local token
 * endpoint: the first storage request makes the client sign a JWT with that key and exchange it there. The endpoint
 * checks the assertion's signature with the key's public half and its issuer. What this cannot show without a cloud:
 * the bearer it got reaching Google's storage (the request goes to storage.googleapis.com, unreachable here, and
 * fails); {@code GOOGLE_APPLICATION_CREDENTIALS} and the metadata server are Google's own lookup, not ours.
 */
class GcsApplicationDefaultCredentialsTest {

    private static final String CLIENT_EMAIL = "reconciler-adc@p.iam.gserviceaccount.com";

    @Test
    void withoutGcsCredentialsTheApplicationDefaultKeyIsExchangedForAToken(@TempDir Path home) throws Exception {
        assertNull(System.getenv("GOOGLE_APPLICATION_CREDENTIALS"), "the test writes the well-known ADC file instead");
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        KeyPair key = generator.generateKeyPair();
        List<String> exchanges = new CopyOnWriteArrayList<>();
        HttpServer tokens = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokens.createContext("/token", exchange -> {
            exchanges.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"access_token\":\"ya29.local-test-token\",\"expires_in\":3600,\"token_type\":\"Bearer\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        tokens.start();
        try {
            writeWellKnownAdcFile(home, key, "http://127.0.0.1:" + tokens.getAddress().getPort() + "/token");
            GcsSettings settings = GcsSettings.from(new StorageVariables(
                    name -> Optional.ofNullable(Map.of("PLUGIN_STORAGE_OSS_BUCKET", "dify-plugins", "GCS_CREDENTIALS", "").get(name))));
            assertTrue(settings.credentialsSource().startsWith("application default credentials"), settings.credentialsSource());

            GcsObjectStorage storage;
            String userHome = System.getProperty("user.home");
            System.setProperty("user.home", home.toString()); // where Google's lookup finds the well-known file
            try {
                storage = GcsObjectStorage.create(settings,
                        new S3Timeouts(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(3)),
                        StorageRequestListener.NO_OP, "reconciler-quarantine/");
            } finally {
                System.setProperty("user.home", userHome);
            }
            // storage.googleapis.com is out of reach here: the listing fails, after the token exchange.
            assertThrows(StorageException.class, () -> storage.list("plugin/").findFirst());
            storage.close();

            assertTrue(!exchanges.isEmpty(), "no token exchange at the ADC file's token_uri");
            Map<String, String> form = form(exchanges.get(0));
            assertEquals("urn:ietf:params:oauth:grant-type:jwt-bearer", form.get("grant_type"));
            String[] jwt = form.get("assertion").split("\\.");
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initVerify(key.getPublic());
            rsa.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
            assertTrue(rsa.verify(Base64.getUrlDecoder().decode(jwt[2])), "the assertion is signed with the ADC file's key");
            String claims = new String(Base64.getUrlDecoder().decode(jwt[1]), StandardCharsets.UTF_8);
            assertTrue(claims.contains("\"iss\":\"" + CLIENT_EMAIL + "\""), claims);
            assertTrue(claims.contains("devstorage"), "scoped for storage: " + claims);
        } finally {
            tokens.stop(0);
        }
    }

    /** {@code ~/.config/gcloud/application_default_credentials.json}: a service-account key issued for the test. */
    private static void writeWellKnownAdcFile(Path home, KeyPair key, String tokenUri) throws IOException {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        String json = "{\"type\":\"service_account\",\"project_id\":\"p\",\"private_key_id\":\"adc1\",\"private_key\":\""
                + pem.replace("\n", "\\n") + "\",\"client_email\":\"" + CLIENT_EMAIL + "\",\"client_id\":\"1\",\"token_uri\":\""
                + tokenUri + "\"}";
        Path file = home.resolve(".config/gcloud/application_default_credentials.json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, json);
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return form;
    }
}
