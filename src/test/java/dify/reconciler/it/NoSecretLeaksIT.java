package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.azure.storage.blob.sas.BlobContainerSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.sun.net.httpserver.HttpServer;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.config.DaemonSettings;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.testsupport.AzuriteServer;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RedisServer;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.SecretForms;
import dify.reconciler.testsupport.StoreUnderTest;
import dify.reconciler.testsupport.StoresUnderTest;
import dify.reconciler.testsupport.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret in anything the packaged app writes: every command's standard output and error, report and plan
 * files, the service's log, metrics and API answers (including a refused token), failed runs (a wrong bucket,
 * the database going away, a wrong Redis password) and our own tables (audit, quarantine, runs, ledger, breaker).
 * Every command's exit code is asserted, so a run that failed early (and printed little) cannot pass for a clean one.
 *
 * <p>The secrets are the database password, the daemon's Redis password ({@code REDIS_PASSWORD}, which a repair
 * and a restore use to clear the daemon's cache), a wrong Redis password, the S3 secret key and the API token, all
 * given the way a deployment gives them. The passwords and the token hold characters URL encoding changes, and
 * the output is searched for each secret raw, URL-encoded, base64-encoded at every alignment (standard and URL
 * alphabets: a secret inside a longer encoded string, such as HTTP Basic's {@code user:password}) and as
 * {@code user:password} in base64.
 */
class NoSecretLeaksIT {

    private static final String DB_PASSWORD = "db-p@ss/w:rd+=%&?-4e1c";
    private static final String REDIS_PASSWORD = "redis-p@ss/w:rd+=%-9b2d";
    private static final String WRONG_REDIS_PASSWORD = "wrong-redis-p@ss/w:rd+=-5f0a";
    private static final String API_TOKEN = "api-t0ken+/=@:never-logged-7f3c9a";

    @Test
    void noCommandServiceAnswerOrTableEverContainsASecret(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("secrets-it-" + System.nanoTime());
        // The daemon's database user, with a password URL encoding changes (the shared cluster's own users have plain ones).
        String dbUser = "leak_owner_" + System.nanoTime();
        List<String> secrets = List.of(DB_PASSWORD, REDIS_PASSWORD, WRONG_REDIS_PASSWORD, s3.secretKey(), API_TOKEN);
        StringBuilder written = new StringBuilder();
        createDaemonUser(dbUser);
        try (RedisServer redis = RedisServer.started(REDIS_PASSWORD);
                TestDatabase db = SchemaFixture.CURRENT.newDatabase()) {
            S3ObjectWriter writer = new S3ObjectWriter(s3.client(), bucket);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, StorageLayout.DEFAULT,
                    Instant.now().minus(Duration.ofDays(1)));
            writer.put("plugin_packages/" + DifyDataset.fakeUid("ghost", 1), "a package nobody declared");
            // A cached row to repair, so apply and restore clear the daemon's cache in Redis (with the password).
            DaemonRows.on(db).insertEndpoint(UUID.randomUUID().toString(), "acme/gone", "hook-orphan", "default");
            Map<String, String> env = env(db, dbUser, s3, bucket, redis);
            Map<String, String> armed = EagerRemediation.armed(env);

            Path report = tmp.resolve("report.json");
            Path plan = tmp.resolve("plan.json");
            record(written, 0, env, "scan", "--output", report.toString()); // info findings only: exit 0
            record(written, 0, env, "scan", "--format", "text");
            record(written, 1, env, "plan", "--output", plan.toString());
            record(written, 0, env, "apply", "--plan", plan.toString());
            String applied = record(written, 0, armed, "apply", "--plan", plan.toString());
            assertTrue(applied.contains("applied 2,"), applied);
            assertTrue(applied.contains("cache: cleared "), "the repair cleared the cache, authenticated to Redis: " + applied);
            record(written, 0, env, "quarantine", "list", "--format", "json");
            record(written, 0, env, "breaker", "status");
            // A wrong Redis password: the restore's cache clearing fails, and says so without the password.
            Map<String, String> wrongRedis = new HashMap<>(armed);
            wrongRedis.put("REDIS_PASSWORD", WRONG_REDIS_PASSWORD);
            String restored = record(written, 0, wrongRedis, "restore", "--all");
            assertTrue(restored.contains("Restored 2 of 2"), restored);
            assertTrue(restored.contains("cache: clearing ") && restored.contains(" failed ("), restored);
            record(written, 0, armed, "purge");
            // Failed runs print their cause: it must name the setting, never the secret.
            Map<String, String> wrongBucket = new HashMap<>(env);
            wrongBucket.put("PLUGIN_STORAGE_OSS_BUCKET", "no-such-bucket-" + System.nanoTime());
            record(written, 2, wrongBucket, "scan");
            Map<String, String> wrongPort = new HashMap<>(env);
            wrongPort.put("DB_PORT", Integer.toString(S3ProxyServer.freeLoopbackPort()));
            record(written, 2, wrongPort, "scan");
            written.append(Files.readString(report)).append(Files.readString(plan));

            Map<String, String> service = new HashMap<>(armed);
            service.put("RECONCILER_API_TOKEN", API_TOKEN);
            try (RunningService s = RunningService.start(service)) {
                HttpResponse<String> run = s.post("/api/v1/runs");
                assertEquals(200, run.statusCode(), run.body());
                written.append(run.body());
                HttpResponse<String> refused = s.post("/api/v1/runs", API_TOKEN + "-wrong");
                assertEquals(401, refused.statusCode(), refused.body());
                written.append(refused.body());
                for (String path : List.of("/q/metrics", "/api/v1/report", "/api/v1/plan", "/api/v1/actions", "/api/v1/quarantine",
                        "/api/v1/breaker", "/api/v1/runs", "/q/health/ready")) {
                    HttpResponse<String> answer = s.get(path);
                    assertEquals(200, answer.statusCode(), path + ": " + answer.body());
                    written.append(answer.body());
                }
                s.stop();
                written.append(s.log());
            }
            written.append(ourTables(db));
        } finally {
            dropDaemonUser(dbUser);
        }
        String everything = written.toString();
        assertTrue(everything.contains("quarantine_object"), "the collected output covers remediation");
        List<String> leaks = new ArrayList<>();
        for (String secret : secrets) {
            leaks.addAll(SecretForms.findIn(everything, secret, List.of(dbUser, "default", "")));
        }
        assertEquals(List.of(), leaks, "secrets (or their encodings) in the output");
    }

    /**
     * The other storage backends' secrets, given the way a deployment gives them, one packaged service per family
     * that runs a scan and an armed repair and answers its API: Azure with a SAS token
     * ({@code SharedAccessSignature=} in the connection string), GCS with a readable service-account JSON in
     * {@code GCS_CREDENTIALS} (read at start; the emulator host means it is not sent). Failed runs print their cause:
     * a wrong Azure account key, and the GCS key whose token exchange is refused. No log, report, plan, metric or API
     * answer holds any of them, raw or encoded. The S3-compatible clouds' keys go through the S3 client whose
     * packaged output {@link #noCommandServiceAnswerOrTableEverContainsASecret} searches; what is theirs alone (each
     * provider's variables, settings and failure messages) is searched in process by
     * {@link #noS3CompatibleCloudsKeyInItsSettingsOrFailures}.
     */
    @Test
    void noAzureOrGcsSecretInAnyLogReportMetricOrApiAnswer(@TempDir Path tmp) throws Exception {
        StringBuilder written = new StringBuilder();
        List<String> secrets = new ArrayList<>();
        HttpServer refusingTokens = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        refusingTokens.createContext("/token", exchange -> {
            byte[] body = "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}"
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(400, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        refusingTokens.start();
        try {
            for (String name : List.of("azure_blob", "gcs")) {
                try (TestDatabase db = SchemaFixture.CURRENT.newDatabase(); StoreUnderTest store = StoresUnderTest.named(name).open()) {
                    new DifyDataset(1, 2, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), store.writer(), StorageLayout.DEFAULT,
                            Instant.now().minus(Duration.ofDays(1)));
                    Map<String, String> env = db.ownerEnvironment(tmp.resolve("unused"));
                    env.remove("PLUGIN_STORAGE_LOCAL_ROOT");
                    env.putAll(store.daemonEnvironment());
                    env.put("RECONCILER_INTERVAL", "off");
                    env.put("RECONCILER_GRACE_PERIOD", "0s");
                    EagerRemediation.on(env);
                    env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned");
                    store.writer().put("plugin_packages/" + DifyDataset.fakeUid("ghost", 1), "a package nobody declared");
                    Map<String, String> wrong = new HashMap<>(env);
                    if (name.equals("azure_blob")) {
                        String connection = env.get("AZURE_BLOB_STORAGE_CONNECTION_STRING");
                        String key = connection.replaceAll(".*AccountKey=([^;]+).*", "$1");
                        String wrongKey = Base64.getEncoder().encodeToString(("a wrong account key, 64 bytes long, as Azure's are: "
                                + System.nanoTime()).getBytes(StandardCharsets.UTF_8));
                        String sas = AzuriteServer.shared().client().getBlobContainerClient(env.get("AZURE_BLOB_STORAGE_CONTAINER_NAME"))
                                .generateSas(new BlobServiceSasSignatureValues(OffsetDateTime.now().plusHours(1),
                                        BlobContainerSasPermission.parse("racwdl")));
                        secrets.addAll(List.of(key, wrongKey, sas, sas.replaceAll(".*sig=([^&]+).*", "$1")));
                        env.put("AZURE_BLOB_STORAGE_CONNECTION_STRING", "BlobEndpoint=" + AzuriteServer.shared().endpoint()
                                + ";SharedAccessSignature=" + sas);
                        wrong.put("AZURE_BLOB_STORAGE_CONNECTION_STRING", connection.replace(key, wrongKey));
                    } else {
                        ServiceAccount account = ServiceAccount
                                .generate("http://127.0.0.1:" + refusingTokens.getAddress().getPort() + "/token");
                        secrets.addAll(account.secrets());
                        env.put("GCS_CREDENTIALS", account.encoded()); // read at start, not sent: the emulator host is set
                        wrong.remove("STORAGE_EMULATOR_HOST");
                        wrong.put("GCS_CREDENTIALS", account.encoded());
                    }
                    written.append(recordService(env, name));
                    record(written, 2, wrong, "scan");
                }
            }
        } finally {
            refusingTokens.stop(0);
        }
        String everything = written.toString();
        assertTrue(everything.contains("AZURE_BLOB_STORAGE_CONNECTION_STRING"), "the wrong key's failure names the variable");
        assertTrue(everything.contains("GCS_CREDENTIALS"), "the refused credentials are named: " + everything);
        List<String> leaks = new ArrayList<>();
        for (String secret : secrets) {
            leaks.addAll(SecretForms.findIn(everything, secret, List.of("default", "")));
        }
        assertEquals(List.of(), leaks, "backend secrets (or their encodings) in the output");
    }

    /**
     * Aliyun, Tencent, Huawei, Volcengine and Baidu: each provider's access key and secret (right, then wrong) through
     * the product's own settings and store, in process: the settings' descriptions, a listing with the right keys,
     * and the failure (with its whole cause chain and stack, as a log prints it) of a listing with wrong ones. None
     * holds either key, raw or encoded.
     */
    @Test
    void noS3CompatibleCloudsKeyInItsSettingsOrFailures() throws Exception {
        StringBuilder written = new StringBuilder();
        List<String> secrets = new ArrayList<>();
        for (String name : List.of("aliyun_oss", "tencent_cos", "huawei_obs", "volcengine_tos", "baidu_bos")) {
            try (StoreUnderTest store = StoresUnderTest.named(name).open()) {
                Map<String, String> env = store.daemonEnvironment();
                List<String> keyVariables = env.keySet().stream().filter(k -> k.endsWith("_SECRET") || k.endsWith("_SECRET_KEY")
                        || k.endsWith("_SECRET_ID") || k.endsWith("_ACCESS_KEY") || k.endsWith("_ACCESS_KEY_ID")).sorted().toList();
                assertEquals(2, keyVariables.size(), name + ": an access key and a secret in " + env.keySet());
                Map<String, String> wrong = new HashMap<>(env);
                for (String variable : keyVariables) {
                    secrets.add(env.get(variable));
                    // An access key id is letters and digits (a '/' would break SigV4's credential scope: 400, not 403).
                    boolean id = variable.endsWith("_ID") || variable.endsWith("_ACCESS_KEY");
                    String wrongValue = id
                            ? "WRONGID" + System.nanoTime()
                            : "wrong+" + variable.toLowerCase(Locale.ROOT) + "/=" + System.nanoTime();
                    secrets.add(wrongValue);
                    wrong.put(variable, wrongValue);
                }
                written.append(describe(env));
                try (ObjectStorage right = StoresUnderTest.productStorage(env)) {
                    written.append(right.describe()).append(right.toString());
                    assertTrue(right.list(StorageLayout.DEFAULT.installed()).count() >= 0, name);
                }
                written.append(describe(wrong));
                try (ObjectStorage refused = StoresUnderTest.productStorage(wrong)) {
                    written.append(refused.describe()).append(refused.toString());
                    RuntimeException e = assertThrows(RuntimeException.class,
                            () -> refused.list(StorageLayout.DEFAULT.installed()).count(), name + ": wrong keys are refused");
                    StringWriter trace = new StringWriter();
                    e.printStackTrace(new PrintWriter(trace));
                    written.append(trace);
                    assertTrue(trace.toString().contains(keyVariables.get(0)) || trace.toString().contains(keyVariables.get(1)),
                            name + ": the failure names the variables to check: " + trace);
                }
            }
        }
        String everything = written.toString();
        List<String> leaks = new ArrayList<>();
        for (String secret : secrets) {
            if (!secret.equals(S3ProxyServer.ACCESS_KEY)) { // S3Proxy's shared identity is also its user name in messages
                leaks.addAll(SecretForms.findIn(everything, secret, List.of("")));
            }
        }
        assertEquals(List.of(), leaks, "the clouds' keys (or their encodings) in settings or failures");
    }

    /** What start-up and the doctor print of the daemon's settings. */
    private static String describe(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.putIfAbsent("DB_HOST", "unused.invalid");
        all.putIfAbsent("DB_USERNAME", "unused");
        DaemonSettings settings = DaemonSettings.from(n -> Optional.ofNullable(all.get(n)));
        return settings + "\n" + settings.storageVariables() + "\n";
    }

    /**
     * Starts the packaged service on {@code env} armed, with an API token, runs a scan and its repairs through the
     * API, and returns every answer, metric and the service's log.
     */
    private static String recordService(Map<String, String> env, String what) throws Exception {
        StringBuilder written = new StringBuilder();
        Map<String, String> service = new HashMap<>(EagerRemediation.armed(env));
        service.put("RECONCILER_API_TOKEN", API_TOKEN);
        try (RunningService s = RunningService.start(service)) {
            HttpResponse<String> run = s.post("/api/v1/runs");
            assertEquals(200, run.statusCode(), what + ": " + run.body());
            written.append(run.body());
            for (String path : List.of("/q/metrics", "/api/v1/report", "/api/v1/plan", "/api/v1/actions", "/api/v1/quarantine",
                    "/api/v1/runs", "/q/health/ready")) {
                HttpResponse<String> answer = s.get(path);
                assertEquals(200, answer.statusCode(), what + " " + path + ": " + answer.body());
                written.append(answer.body());
            }
            assertTrue(written.toString().contains("quarantine_object"), what + ": the service repaired: " + written);
            s.stop();
            written.append(s.log());
        }
        return written.toString();
    }

    /** A readable service-account JSON with a fresh RSA key, as {@code GCS_CREDENTIALS} holds it (base64). */
    private record ServiceAccount(String encoded, String keyId, String privateKeyPem) {

        static ServiceAccount generate(String tokenUri) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair pair = generator.generateKeyPair();
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            String keyId = HexFormat.of().formatHex(Arrays.copyOf(pair.getPublic().getEncoded(), 20));
            String json = "{\"type\":\"service_account\",\"project_id\":\"leak-test\",\"private_key_id\":\"" + keyId
                    + "\",\"private_key\":\"" + pem.replace("\n", "\\n")
                    + "\",\"client_email\":\"reconciler@leak-test.iam.gserviceaccount.com\","
                    + "\"client_id\":\"1234567890\",\"token_uri\":\"" + tokenUri + "\"}";
            return new ServiceAccount(Base64.getEncoder().encodeToString(json.getBytes(StandardCharsets.UTF_8)), keyId, pem);
        }

        /** The encoded document, the key id, and each line of the key's PEM body. */
        List<String> secrets() {
            List<String> out = new ArrayList<>(List.of(encoded, keyId));
            for (String line : privateKeyPem.split("\n")) {
                if (!line.startsWith("-----")) {
                    out.add(line);
                }
            }
            return out;
        }
    }

    /**
     * Runs one command, asserts its exit code and appends both streams to {@code written}; returns its standard
     * output.
     */
    private static String record(StringBuilder written, int exit, Map<String, String> env, String... args) throws Exception {
        PackagedApp.Outcome o = PackagedApp.run(env, args);
        assertEquals(exit, o.exitCode(), () -> String.join(" ", args) + ":\n" + o.stdout() + o.stderr());
        written.append(o.stdout()).append('\n').append(o.stderr()).append('\n');
        return o.stdout();
    }

    /** A login that may do what the daemon's user may (a member of it), with {@link #DB_PASSWORD}. */
    private static void createDaemonUser(String name) throws Exception {
        try (Connection c = EmbeddedPostgres.shared().connectTo("postgres"); Statement st = c.createStatement()) {
            // Test constants, no outside input: spliced because CREATE ROLE takes no parameters.
            st.execute("CREATE ROLE " + name + " LOGIN PASSWORD '" + DB_PASSWORD.replace("'", "''") + "' IN ROLE "
                    + EmbeddedPostgres.DAEMON_USER);
        }
    }

    private static void dropDaemonUser(String name) throws Exception {
        try (Connection c = EmbeddedPostgres.shared().connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + name);
        }
    }

    /** Every row of every table of our schema, as text (read as the superuser: the test's login owns them). */
    private static String ourTables(TestDatabase db) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Connection c = db.server().connectTo(db.name());
                Statement st = c.createStatement();
                ResultSet tables = st
                        .executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'plugin_reconciler'")) {
            List<String> names = new ArrayList<>();
            while (tables.next()) {
                names.add(tables.getString(1));
            }
            for (String t : names) {
                // Names from the catalog of our own schema, quoted: not input.
                try (Statement q = c.createStatement();
                        ResultSet rs = q
                                .executeQuery("SELECT row_to_json(x)::text FROM plugin_reconciler.\"" + t.replace("\"", "\"\"") + "\" x")) {
                    while (rs.next()) {
                        sb.append(rs.getString(1)).append('\n');
                    }
                }
            }
        }
        assertTrue(sb.length() > 0, "our schema has rows");
        return new String(sb.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static Map<String, String> env(TestDatabase db, String dbUser, S3ProxyServer s3, String bucket, RedisServer redis) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        env.put("DB_USERNAME", dbUser);
        env.put("DB_PASSWORD", DB_PASSWORD);
        env.put("REDIS_HOST", redis.host());
        env.put("REDIS_PORT", Integer.toString(redis.port()));
        env.put("REDIS_PASSWORD", REDIS_PASSWORD);
        env.put("RECONCILER_CACHE_SECOND_DELETE_AFTER", "100ms");
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        env.put("RECONCILER_INTERVAL", "off");
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned,endpoint_orphaned");
        return env;
    }
}
