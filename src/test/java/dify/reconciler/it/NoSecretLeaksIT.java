package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
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
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TestDatabase;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Tag;
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
     * The other storage backends' secrets: Azure's account key (inside the connection string) and an S3-compatible
     * provider's secret key, right (a scan, a plan) and wrong (a scan that fails on the store and prints its cause),
     * and a {@code GCS_CREDENTIALS} the client cannot read (start-up stops naming the variable): no command's output
     * holds any of them, raw or encoded.
     */
    @Test
    @Tag(Sweep.TAG)
    void noStorageBackendsSecretInAnyCommandsOutput(@TempDir Path tmp) throws Exception {
        StringBuilder written = new StringBuilder();
        List<String> secrets = new ArrayList<>();
        // Tencent's secret key goes through the same S3 adapter as S3's own (noCommandServiceAnswerOrTableEverContainsASecret):
        // a repetition, in the sweep (Sweep).
        List<String> backends = Sweep.part(List.of("azure_blob", "tencent_cos", "gcs"), name -> !name.equals("tencent_cos"));
        for (String name : backends) {
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
                switch (name) {
                    case "azure_blob" -> {
                        String connection = env.get("AZURE_BLOB_STORAGE_CONNECTION_STRING");
                        String key = connection.replaceAll(".*AccountKey=([^;]+).*", "$1");
                        String wrongKey = Base64.getEncoder().encodeToString("a wrong account key, 64 bytes long, as Azure's are: padding!!"
                                .getBytes(StandardCharsets.UTF_8));
                        secrets.addAll(List.of(key, wrongKey));
                        wrong.put("AZURE_BLOB_STORAGE_CONNECTION_STRING", connection.replace(key, wrongKey));
                    }
                    case "tencent_cos" -> {
                        secrets.add(env.get("TENCENT_COS_SECRET_KEY"));
                        String wrongKey = "wrong/secret+key=" + System.nanoTime();
                        secrets.add(wrongKey);
                        wrong.put("TENCENT_COS_SECRET_KEY", wrongKey);
                    }
                    default -> {
                        // Read although the emulator needs none: a value the client cannot use stops start-up.
                        String unreadable = "{\"type\": \"service_account\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nnot-a-key-"
                                + System.nanoTime() + "\\n-----END PRIVATE KEY-----\\n\"}";
                        String encoded = Base64.getEncoder().encodeToString(unreadable.getBytes(StandardCharsets.UTF_8));
                        secrets.add(encoded);
                        secrets.add("not-a-key-" + unreadable.replaceAll(".*not-a-key-([0-9]+).*", "$1"));
                        wrong.remove("STORAGE_EMULATOR_HOST");
                        wrong.put("GCS_CREDENTIALS", encoded);
                    }
                }
                record(written, 0, env, "scan");
                record(written, 1, env, "plan", "--output", tmp.resolve(name + "-plan.json").toString());
                record(written, 2, wrong, "scan");
                written.append(Files.readString(tmp.resolve(name + "-plan.json")));
            }
        }
        String everything = written.toString();
        if (backends.contains("azure_blob")) {
            assertTrue(everything.contains("AZURE_BLOB_STORAGE") || everything.contains("azure"), "the Azure runs are in the output");
        }
        if (backends.contains("gcs")) {
            assertTrue(everything.contains("GCS_CREDENTIALS"), "the unreadable credentials are named: " + everything);
        }
        List<String> leaks = new ArrayList<>();
        for (String secret : secrets) {
            leaks.addAll(SecretForms.findIn(everything, secret, List.of("default", "")));
        }
        assertEquals(List.of(), leaks, "backend secrets (or their encodings) in the output");
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
