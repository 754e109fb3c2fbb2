package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EagerRemediation;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.RunningService;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No secret in anything the packaged app writes: every command's standard output and error, report and plan
 * files, the service's log, metrics and API answers (including a refused token), failed runs (a wrong bucket,
 * the database going away) and our own tables (audit, quarantine, runs, ledger, breaker). The secrets are
 * the database password, the S3 secret key and the API token, all given the way a deployment gives them.
 */
class NoSecretLeaksIT {

    private static final String API_TOKEN = "api-token-never-logged-7f3c9a";

    @Test
    void noCommandServiceAnswerOrTableEverContainsASecret(@TempDir Path tmp) throws Exception {
        S3ProxyServer s3 = S3ProxyServer.shared();
        String bucket = s3.createBucket("secrets-it-" + System.nanoTime());
        List<String> secrets = List.of(EmbeddedPostgres.DAEMON_PASSWORD, s3.secretKey(), API_TOKEN);
        StringBuilder written = new StringBuilder();
        try (TestDatabase db = SchemaFixture.CURRENT.applyTo(EmbeddedPostgres.shared().createDatabase())) {
            S3ObjectWriter writer = new S3ObjectWriter(s3.client(), bucket);
            new DifyDataset(2, 3, DaemonRows.CATEGORY_TABLES).seed(DaemonRows.on(db), writer, StorageLayout.DEFAULT,
                    Instant.now().minus(Duration.ofDays(1)));
            writer.put("plugin_packages/" + DifyDataset.fakeUid("ghost", 1), "a package nobody declared");
            Map<String, String> env = env(db, s3, bucket);
            Map<String, String> armed = EagerRemediation.armed(env);

            Path report = tmp.resolve("report.json");
            Path plan = tmp.resolve("plan.json");
            record(written, PackagedApp.run(env, "scan", "--output", report.toString()));
            record(written, PackagedApp.run(env, "scan", "--format", "text"));
            record(written, PackagedApp.run(env, "plan", "--output", plan.toString()));
            record(written, PackagedApp.run(env, "apply", "--plan", plan.toString()));
            PackagedApp.Outcome applied = PackagedApp.run(armed, "apply", "--plan", plan.toString());
            assertEquals(0, applied.exitCode(), applied.stdout() + applied.stderr());
            assertTrue(applied.stdout().contains("applied 1,"), applied.stdout());
            record(written, applied);
            record(written, PackagedApp.run(env, "quarantine", "list", "--format", "json"));
            record(written, PackagedApp.run(env, "breaker", "status"));
            record(written, PackagedApp.run(armed, "restore", "--all"));
            record(written, PackagedApp.run(armed, "purge"));
            // Failed runs print their cause: it must name the setting, never the secret.
            Map<String, String> wrongBucket = new HashMap<>(env);
            wrongBucket.put("PLUGIN_STORAGE_OSS_BUCKET", "no-such-bucket-" + System.nanoTime());
            PackagedApp.Outcome failed = PackagedApp.run(wrongBucket, "scan");
            assertEquals(2, failed.exitCode(), failed.stdout() + failed.stderr());
            record(written, failed);
            Map<String, String> wrongPort = new HashMap<>(env);
            wrongPort.put("DB_PORT", Integer.toString(S3ProxyServer.freeLoopbackPort()));
            PackagedApp.Outcome unreachable = PackagedApp.run(wrongPort, "scan");
            assertEquals(2, unreachable.exitCode(), unreachable.stdout() + unreachable.stderr());
            record(written, unreachable);
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
                    written.append(s.get(path).body());
                }
                s.stop();
                written.append(s.log());
            }
            written.append(ourTables(db));
        }
        String everything = written.toString();
        assertTrue(everything.contains("quarantine_object"), "the collected output covers remediation");
        for (String secret : secrets) {
            int at = everything.indexOf(secret);
            assertEquals(-1, at, () -> "a secret appears in the output: …"
                    + everything.substring(Math.max(0, at - 200), Math.min(everything.length(), at + 50)).replace(secret, "<SECRET>"));
        }
    }

    private static void record(StringBuilder written, PackagedApp.Outcome o) {
        written.append(o.stdout()).append('\n').append(o.stderr()).append('\n');
    }

    /** Every row of every table of our schema, as text. */
    private static String ourTables(TestDatabase db) throws Exception {
        StringBuilder sb = new StringBuilder();
        try (Connection c = db.connect();
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

    private static Map<String, String> env(TestDatabase db, S3ProxyServer s3, String bucket) {
        Map<String, String> env = db.ownerS3Environment(s3, bucket);
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        env.put("RECONCILER_INTERVAL", "off");
        EagerRemediation.on(env);
        env.put("RECONCILER_REMEDIATION_KINDS", "package_orphaned");
        return env;
    }
}
