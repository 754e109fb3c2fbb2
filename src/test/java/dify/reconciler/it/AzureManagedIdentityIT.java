package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.BlobContainerClient;
import com.sun.net.httpserver.HttpServer;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.AzureBlobObjectWriter;
import dify.reconciler.testsupport.AzuriteServer;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.SecretForms;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY=true} with {@code AZURE_BLOB_STORAGE_ACCOUNT_URL}, end to end through
 * the packaged jar: the managed identity's token comes from a local token endpoint, given the way App Service gives
 * it ({@code IDENTITY_ENDPOINT} + {@code IDENTITY_HEADER}), and Azurite, over HTTPS with a certificate made here and
 * {@code --oauth basic}, accepts the bearer token (it checks the token's issuer, audience and lifetime, not its
 * signature: a real Entra ID signature is not proven here). The JVM trusts the certificate through a trust store
 * ({@code javax.net.ssl.trustStore}), as a deployment trusting a private CA would.
 */
class AzureManagedIdentityIT {

    private static final String IDENTITY_HEADER = "identity-header+/=secret-" + System.nanoTime();
    private static final String TRUST_PASSWORD = "changeit";

    /** One request the token endpoint received. */
    private record TokenRequest(String method, String path, Map<String, String> query, String identityHeader) {
    }

    @Test
    void aScanReadsTheContainerWithAManagedIdentityTokenAndFailsNamingTheVariableWhenNoTokenIsGiven(@TempDir Path tmp)
            throws Exception {
        Path cert = tmp.resolve("azurite.pem");
        Path key = tmp.resolve("azurite-key.pem");
        Path trustStore = tmp.resolve("trust.p12");
        selfSignedCertificate(cert, key, trustStore);
        String accessToken = accessToken();
        List<TokenRequest> requests = new CopyOnWriteArrayList<>();
        boolean[] refusing = {false};
        HttpServer tokens = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        tokens.createContext("/msi/token", exchange -> {
            requests.add(new TokenRequest(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    query(exchange.getRequestURI().getRawQuery()), exchange.getRequestHeaders().getFirst("X-IDENTITY-HEADER")));
            byte[] body = refusing[0]
                    ? "{\"error\":\"invalid_request\",\"error_description\":\"no identity assigned\"}".getBytes(StandardCharsets.UTF_8)
                    : ("{\"access_token\":\"" + accessToken + "\",\"expires_on\":\"" + (Instant.now().getEpochSecond() + 3600)
                            + "\",\"resource\":\"https://storage.azure.com\",\"token_type\":\"Bearer\",\"client_id\":\"test-client\"}")
                            .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(refusing[0] ? 400 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        tokens.start();
        try (AzuriteServer azurite = AzuriteServer.startWithOAuth(cert, key, trusting(trustStore));
                TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            BlobContainerClient container = azurite.createContainer("managed-identity");
            AzureBlobObjectWriter writer = new AzureBlobObjectWriter(container);
            new DifyDataset(1, 2, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, StorageLayout.DEFAULT,
                    Instant.now().minus(Duration.ofDays(1)));
            String ghost = "plugin_packages/" + DifyDataset.fakeUid("ghost", 1);
            writer.put(ghost, "a package nobody declared".getBytes(StandardCharsets.UTF_8));

            Map<String, String> env = db.ownerEnvironment(tmp.resolve("unused"));
            env.remove("PLUGIN_STORAGE_LOCAL_ROOT");
            env.put("PLUGIN_STORAGE_TYPE", "azure_blob");
            env.put("AZURE_BLOB_STORAGE_CONTAINER_NAME", container.getBlobContainerName());
            env.put("AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY", "true");
            env.put("AZURE_BLOB_STORAGE_ACCOUNT_URL", azurite.endpoint().toString());
            env.put("IDENTITY_ENDPOINT", "http://127.0.0.1:" + tokens.getAddress().getPort() + "/msi/token");
            env.put("IDENTITY_HEADER", IDENTITY_HEADER);
            env.put("RECONCILER_INTERVAL", "off");
            env.put("RECONCILER_GRACE_PERIOD", "0s");
            List<String> jvm = List.of("-Xmx256m", "-Djavax.net.ssl.trustStore=" + trustStore,
                    "-Djavax.net.ssl.trustStorePassword=" + TRUST_PASSWORD, "-Djavax.net.ssl.trustStoreType=PKCS12");

            Path report = tmp.resolve("report.json");
            PackagedApp.Outcome scan = PackagedApp.run(env, jvm, "scan", "--output", report.toString());
            String scanned = scan.stdout() + scan.stderr();
            assertEquals(0, scan.exitCode(), () -> scanned + "\ntoken requests: " + requests + "\nAzurite log: " + log(azurite));
            String reportText = Files.readString(report);
            assertTrue(reportText.contains("package_orphaned") && reportText.contains(ghost),
                    "the scan read the container through the managed identity: " + reportText);
            assertTrue(!requests.isEmpty(), "the token came from the local endpoint");
            for (TokenRequest r : requests) {
                assertEquals("GET", r.method(), r.toString());
                assertEquals(IDENTITY_HEADER, r.identityHeader(), "the SDK sends IDENTITY_HEADER as X-IDENTITY-HEADER: " + r);
                assertEquals("https://storage.azure.com", r.query().get("resource"), "the token is asked for Azure Storage: " + r);
            }

            refusing[0] = true;
            requests.clear();
            PackagedApp.Outcome refused = PackagedApp.run(env, jvm, "scan");
            String failed = refused.stdout() + refused.stderr();
            assertEquals(2, refused.exitCode(), failed);
            assertTrue(!requests.isEmpty(), "the refused run asked the endpoint: " + failed);
            assertTrue(failed.contains("AZURE_BLOB_STORAGE_USE_MANAGED_IDENTITY"), "the failure names the variable: " + failed);

            List<String> leaks = new ArrayList<>();
            for (String secret : List.of(IDENTITY_HEADER, accessToken, accessToken.substring(accessToken.lastIndexOf('.') + 1))) {
                leaks.addAll(SecretForms.findIn(scanned + failed + reportText, secret, List.of()));
            }
            assertEquals(List.of(), leaks, "the identity header and the token are never printed");
        } finally {
            tokens.stop(0);
        }
    }

    /**
     * An Entra ID-shaped access token for Azure Storage that Azurite's {@code --oauth basic} accepts: issuer
     * {@code https://sts.windows.net/<tenant>/}, audience {@code https://storage.azure.com}, valid for an hour.
     */
    private static String accessToken() {
        long now = Instant.now().getEpochSecond();
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(("{\"aud\":\"https://storage.azure.com\",\"iss\":\"https://sts.windows.net/"
                + "72f988bf-86f1-41af-91ab-2d7cd011db47/\",\"iat\":" + (now - 60) + ",\"nbf\":" + (now - 60) + ",\"exp\":" + (now + 3600)
                + ",\"oid\":\"managed-identity-under-test\"}").getBytes(StandardCharsets.UTF_8));
        String signature = b64.encodeToString(("not-a-real-signature-" + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + "." + signature;
    }

    /** A certificate for 127.0.0.1 (openssl), and a PKCS#12 trust store holding it (keytool). */
    private static void selfSignedCertificate(Path cert, Path key, Path trustStore) throws IOException, InterruptedException {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext",
                "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString());
        run("keytool", "-importcert", "-noprompt", "-alias", "azurite", "-file", cert.toString(), "-keystore", trustStore.toString(),
                "-storetype", "PKCS12", "-storepass", TRUST_PASSWORD);
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command));
        assertEquals(0, p.exitValue(), () -> String.join(" ", command) + ":\n" + out);
    }

    private static SSLContext trusting(Path trustStore) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(trustStore)) {
            store.load(in, TRUST_PASSWORD.toCharArray());
        }
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, factory.getTrustManagers(), null);
        return context;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw != null) {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                out.put(URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8),
                        eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static String log(AzuriteServer azurite) {
        try {
            return Files.readString(azurite.log());
        } catch (IOException e) {
            return e.toString();
        }
    }
}
