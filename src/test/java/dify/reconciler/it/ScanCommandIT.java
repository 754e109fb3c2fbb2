package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DaemonWorkingPath;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.LocalObjectWriter;
import dify.reconciler.testsupport.PackagedApp;
import dify.reconciler.testsupport.PackagedApp.Outcome;
import dify.reconciler.testsupport.S3ObjectWriter;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.Sweep;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged one-shot command, as a Job or CI step runs it: exit 0 clean, 1 drift, 2 failed, for real
 * failures (database down, bucket missing, wrong credentials, missing table, bad configuration).
 *
 * <p>Each packaged launch costs a JVM start-up, so the default suite launches one case per failure family (a missing
 * dependency, a wrong credential, a missing variable, a malformed setting, a missing table, a wrong command line, a
 * refused output, a storage failure after drift was found) and the {@code @Tag(Sweep.TAG)} methods leave their other
 * cases to the sweep ({@link Launch#inDefault()}): a repetition of a family, or of an assertion a default launch or an
 * in-process test already makes.
 */
class ScanCommandIT {

    /** The read-only role's password (scram-sha-256 checks it): in no output, ever. */
    private static final String DB_PASSWORD = EmbeddedPostgres.READER_PASSWORD;
    private static final Instant OLD = Instant.now().minus(Duration.ofDays(2));
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestDatabase db;
    private static Path localRoot;
    private static String bucket;

    @BeforeAll
    static void seed(@TempDir Path tmp) {
        db = SchemaFixture.CURRENT.newDatabase();
        localRoot = tmp.resolve("storage");
        // The same rows serve both stores: the local folder and the bucket hold the same objects.
        DifyDataset dataset = new DifyDataset(3, 6, DaemonRows.CATEGORY_TABLES)
                .seed(DaemonRows.on(db), new LocalObjectWriter(localRoot), StorageLayout.DEFAULT, OLD);
        S3ProxyServer s3 = S3ProxyServer.shared();
        bucket = s3.createBucket("scan-it");
        S3ObjectWriter writer = new S3ObjectWriter(s3.client(), bucket);
        try (var files = Files.walk(localRoot)) {
            files.filter(Files::isRegularFile).forEach(f -> {
                try {
                    writer.put(localRoot.relativize(f).toString(), Files.readAllBytes(f));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        // One drift, only in the bucket: a package object is gone (critical package_missing).
        s3.client().deleteObject(b -> b.bucket(bucket).key("plugin_packages/" + dataset.localPlugin(0).uid()));
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    private static Map<String, String> dbEnv(TestDatabase database) {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", database.host());
        env.put("DB_PORT", Integer.toString(database.port()));
        env.put("DB_USERNAME", database.username());
        env.put("DB_PASSWORD", database.password());
        env.put("DB_DATABASE", database.name());
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        return env;
    }

    private static Map<String, String> localEnv() {
        return localEnv(db, localRoot);
    }

    private static Map<String, String> localEnv(TestDatabase database, Path root) {
        Map<String, String> env = dbEnv(database);
        env.put("PLUGIN_STORAGE_TYPE", "local");
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", root.toString());
        return env;
    }

    private static Map<String, String> s3Env(String bucketName, String secret) {
        S3ProxyServer s3 = S3ProxyServer.shared();
        Map<String, String> env = dbEnv(db);
        env.put("PLUGIN_STORAGE_TYPE", "aws_s3");
        env.put("PLUGIN_STORAGE_OSS_BUCKET", bucketName);
        env.put("S3_ENDPOINT", s3.endpoint().toString());
        env.put("S3_USE_AWS", "false");
        env.put("S3_USE_PATH_STYLE", "true");
        env.put("AWS_ACCESS_KEY", s3.accessKey());
        env.put("AWS_SECRET_KEY", secret);
        env.put("AWS_REGION", s3.region());
        return env;
    }

    /** One packaged launch of a family and its assertions; {@code inDefault}: the family's case in the default suite. */
    private record Launch(String name, boolean inDefault, Check check) {
    }

    private interface Check {
        void run() throws Exception;
    }

    /** The launches of {@code family} this run takes ({@link Sweep#part}), each failure naming its launch. */
    private static void launch(Launch... family) throws Exception {
        for (Launch l : Sweep.part(List.of(family), Launch::inDefault)) {
            try {
                l.check().run();
            } catch (AssertionError e) {
                throw new AssertionError(l.name() + ": " + e.getMessage(), e);
            }
        }
    }

    private static void assertNoSecrets(Outcome o, String... secrets) {
        for (String secret : secrets) {
            assertFalse(o.stdout().contains(secret) || o.stderr().contains(secret), "a secret was printed");
        }
    }

    @Test
    void printsTheTextReportOnStdoutWhenNoFileIsGiven() throws Exception {
        Outcome o = PackagedApp.run(s3Env(bucket, S3ProxyServer.SECRET_KEY), "scan", "--format", "text");
        assertEquals(1, o.exitCode(), o::stderr);
        assertTrue(o.stdout().contains("CRITICAL package_missing table=plugin_declarations"), o.stdout());
    }

    /** Default: the setting lowers what counts, the option overrides the setting; sweep: the default (warning) counts. */
    @Test
    @Tag(Sweep.TAG)
    void failOnDecidesWhichSeverityCounts() throws Exception {
        Map<String, String> env = localEnv();
        env.put("RECONCILER_FAIL_ON", "critical");
        // Warning-level drift only: refers off by one.
        DaemonRows rows = DaemonRows.on(db);
        rows.execute("UPDATE plugins SET refers = refers + 1 WHERE install_type = 'serverless'");
        try {
            launch(new Launch("RECONCILER_FAIL_ON=critical", true, () -> assertEquals(0, PackagedApp.run(env, "scan").exitCode())),
                    new Launch("fail-on left at warning", false, () -> assertEquals(1, PackagedApp.run(localEnv(), "scan").exitCode())),
                    new Launch("--fail-on warning over the setting", true,
                            () -> assertEquals(1, PackagedApp.run(env, "scan", "--fail-on", "warning").exitCode())));
        } finally {
            rows.execute("UPDATE plugins SET refers = refers - 1 WHERE install_type = 'serverless'");
        }
    }

    /** Default: the database down (the first dependency a scan needs); sweep: the bucket missing. */
    @Test
    @Tag(Sweep.TAG)
    void exitsTwoWhenADependencyIsMissing() throws Exception {
        launch(new Launch("database down", true, () -> {
            // A down server is a port nobody listens on: what the scan sees is the same refused connection as from a
            // stopped PostgreSQL, without starting and stopping one.
            Map<String, String> env = localEnv();
            env.put("DB_PORT", Integer.toString(S3ProxyServer.freeLoopbackPort()));
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("SCAN FAILED"), o.stderr());
            assertTrue(o.stdout().contains("\"result\" : \"failure\""), o.stdout());
            assertNoSecrets(o, DB_PASSWORD);
        }), new Launch("bucket missing", false, () -> {
            Outcome o = PackagedApp.run(s3Env("no-such-bucket", S3ProxyServer.SECRET_KEY), "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("bucket 'no-such-bucket' does not exist"), o.stderr());
        }));
    }

    /** Default: a wrong storage secret; sweep: a wrong database password, an unknown database user. */
    @Test
    @Tag(Sweep.TAG)
    void exitsTwoWithAWrongCredentialAndNeverPrintsIt() throws Exception {
        launch(new Launch("wrong storage secret", true, () -> {
            String wrong = "wrong-secret-value-123";
            Outcome o = PackagedApp.run(s3Env(bucket, wrong), "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("access denied"), o.stderr());
            assertNoSecrets(o, wrong, DB_PASSWORD);
        }), new Launch("wrong database password", false, () -> {
            Map<String, String> env = localEnv();
            String wrong = "wrong-db-password-456";
            env.put("DB_PASSWORD", wrong);
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("password authentication failed"), o.stderr());
            assertNoSecrets(o, wrong, DB_PASSWORD);
        }), new Launch("unknown database user", false, () -> {
            Map<String, String> env = localEnv();
            env.put("DB_USERNAME", "nobody");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("nobody"), o.stderr());
        }));
    }

    /** Default: a variable of the chosen storage backend (named by an alias); sweep: DB_HOST. */
    @Test
    @Tag(Sweep.TAG)
    void exitsTwoNamingAMissingVariable() throws Exception {
        launch(new Launch("AZURE_BLOB_STORAGE_CONTAINER_NAME", true, () -> {
            Map<String, String> env = localEnv();
            env.put("PLUGIN_STORAGE_TYPE", "azure-blob"); // an alias, with none of Azure's variables set
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("AZURE_BLOB_STORAGE_CONTAINER_NAME is not set"), o.stderr());
        }), new Launch("DB_HOST", false, () -> {
            Map<String, String> env = localEnv();
            env.remove("DB_HOST");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("DB_HOST"), o.stderr());
        }));
    }

    /**
     * Default: a malformed setting of the scan, and a wrong remediation setting refused even in report mode; sweep: a
     * remediation setting out of range, the MySQL family's DB_TYPE (each value of it is refused in process by
     * {@code DaemonSettingsTest}), inventory listing on local storage and without its report's location.
     */
    @Test
    @Tag(Sweep.TAG)
    void exitsTwoOnAMalformedOrUnsupportedSettingAndNamesIt() throws Exception {
        launch(new Launch("grace period", true, () -> {
            Map<String, String> env = localEnv();
            env.put("RECONCILER_GRACE_PERIOD", "banana");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("reconciler.grace-period"), o.stderr());
        }), new Launch("remediation kinds in report mode", true, () -> {
            Map<String, String> env = localEnv();
            env.put("RECONCILER_REMEDIATION_KINDS", "package_missing,pakage_orphaned");
            Outcome kinds = PackagedApp.run(env, "scan");
            assertEquals(2, kinds.exitCode(), kinds::stderr);
            assertTrue(kinds.stderr().contains("reconciler.remediation.kinds: unknown finding kind 'pakage_orphaned'"),
                    kinds.stderr());
        }), new Launch("remediation max-share in report mode", false, () -> {
            Map<String, String> env = localEnv();
            env.put("RECONCILER_REMEDIATION_MAX_SHARE", "2");
            Outcome share = PackagedApp.run(env, "scan");
            assertEquals(2, share.exitCode(), share::stderr);
            assertTrue(share.stderr().contains("reconciler.remediation.max-share must be between 0 and 1"), share.stderr());
        }), new Launch("DB_TYPE=oceanbase", false, () -> {
            Map<String, String> env = localEnv();
            env.put("DB_TYPE", "oceanbase");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("DB_TYPE=oceanbase: oceanbase is not supported"), o.stderr());
        }), new Launch("inventory listing on local storage", false, () -> {
            Map<String, String> env = localEnv();
            env.put("RECONCILER_STORAGE_LISTING", "inventory");
            env.put("RECONCILER_STORAGE_INVENTORY_LOCATION", "s3://inventory/reports/dify-plugin/daily/");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("it needs PLUGIN_STORAGE_TYPE=aws_s3, azure_blob or gcs, not local"), o.stderr());
        }), new Launch("inventory listing without its location", false, () -> {
            Map<String, String> env = s3Env(bucket, S3ProxyServer.SECRET_KEY);
            env.put("RECONCILER_STORAGE_LISTING", "inventory");
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("reconciler.storage.listing=inventory needs reconciler.storage.inventory-location"),
                    o.stderr());
        }));
    }

    @Test
    void exitsTwoWhenARequiredTableIsMissing() throws Exception {
        TestDatabase partial = SchemaFixture.CURRENT.newDatabase();
        try {
            DaemonRows.on(partial).execute("DROP TABLE plugin_installations");
            Map<String, String> env = localEnv(partial, localRoot);
            Outcome o = PackagedApp.run(env, "scan");
            assertEquals(2, o.exitCode(), o::stderr);
            assertTrue(o.stderr().contains("plugin_installations does not exist"), o.stderr());
        } finally {
            partial.close();
        }
    }

    @Test
    void skipsAnOptionalTableTheDaemonHasNotCreatedWithANote(@TempDir Path out) throws Exception {
        TestDatabase older = SchemaFixture.CURRENT.newDatabase();
        try {
            DaemonRows.on(older).execute("DROP TABLE trigger_installations");
            Map<String, String> env = localEnv(older, out);
            Path report = out.resolve("r.json");
            Outcome o = PackagedApp.run(env, "scan", "-o", report.toString());
            assertEquals(0, o.exitCode(), o::stderr);
            JsonNode json = JSON.readTree(report.toFile());
            assertEquals("trigger_installations", json.get("scanned").get("skippedTables").get(0).asText());
            assertTrue(json.get("notes").toString().contains("trigger_installations does not exist"), json.toString());
        } finally {
            older.close();
        }
    }

    /**
     * Exit 1 with the drift on S3 in the JSON report, read through the configuration a chart for MinIO gives (the
     * daemon's own S3 variables are read by {@link #printsTheTextReportOnStdoutWhenNoFileIsGiven}).
     */
    @Test
    void exitsOneOnS3DriftReadPathStyleWithS3UseAwsUnsetAndTheSdkDefaultCredentialChain(@TempDir Path out) throws Exception {
        // A chart pointing at MinIO: S3_ENDPOINT (a host name) and S3_USE_PATH_STYLE=true, S3_USE_AWS unset; the
        // daemon's AWS_ACCESS_KEY/AWS_SECRET_KEY empty, the SDK's own AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY set.
        S3ProxyServer s3 = S3ProxyServer.shared();
        Map<String, String> env = s3Env(bucket, S3ProxyServer.SECRET_KEY);
        env.remove("S3_USE_AWS");
        env.put("S3_ENDPOINT", "http://localhost:" + s3.endpoint().getPort());
        env.put("AWS_ACCESS_KEY", "");
        env.put("AWS_SECRET_KEY", "");
        env.put("AWS_ACCESS_KEY_ID", s3.accessKey());
        env.put("AWS_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY);
        Path report = out.resolve("report.json");
        Outcome o = PackagedApp.run(env, "scan", "--output", report.toString());
        assertEquals(1, o.exitCode(), o::stderr);
        JsonNode json = JSON.readTree(report.toFile());
        assertEquals(1, json.get("findings").size());
        JsonNode finding = json.get("findings").get(0);
        assertEquals("package_missing", finding.get("kind").asText());
        assertEquals("critical", finding.get("severity").asText());
        assertEquals("plugin_declarations", finding.get("table").asText());
        assertEquals(1, json.get("summary").get("byKind").get("package_missing").asLong());
        assertTrue(o.stdout().contains("package_missing"), o.stdout());
        assertNoSecrets(o, DB_PASSWORD, S3ProxyServer.SECRET_KEY);
    }

    @Test
    void readsTheDaemonsWorkingPathAndNamesTheNodeItWasReadOn(@TempDir Path cwd, @TempDir Path out) throws Exception {
        DaemonWorkingPath daemon = new DaemonWorkingPath(cwd);
        daemon.installedOnTheImagesPython("langgenius/uninstalled_tool:0.1.0@" + "7e".repeat(32), "requirements.txt");
        long orphanBytes = daemon.bytesWritten();
        daemon.ageAll(OLD);
        Map<String, String> env = localEnv();
        env.put("RECONCILER_WORKING_PATH", cwd.toString());
        env.put("POD_NAME", "dify-plugin-daemon-6d8f-abcde");
        Path report = out.resolve("report.json");
        Outcome o = PackagedApp.run(env, "scan", "--output", report.toString());
        assertEquals(0, o.exitCode(), o::stderr); // info only: below the default fail-on
        JsonNode json = JSON.readTree(report.toFile());
        JsonNode scope = json.get("scanned").get("workingPath");
        assertEquals(cwd.toString(), scope.get("path").asText());
        assertEquals("dify-plugin-daemon-6d8f-abcde", scope.get("node").asText());
        assertEquals(1, scope.get("pluginFolders").asLong());
        assertEquals(orphanBytes, scope.get("orphanedBytes").asLong());
        assertEquals(orphanBytes, json.get("summary").get("bytesByKind").get("working_dir_orphaned").asLong());
        assertEquals(1, json.get("findings").size(), json::toString);
        assertEquals("working_dir_orphaned", json.get("findings").get(0).get("kind").asText());
        assertTrue(json.get("phaseSeconds").has("working_path"), json::toString);
    }

    /**
     * Exit 0 on the clean dataset, with its JSON report, read the way the daemon's default configuration reads its local
     * storage: {@code PLUGIN_STORAGE_LOCAL_ROOT=storage}, relative to the daemon's working directory (ours, this build's
     * folder, has no such folder, so resolving against it would fail or read the wrong one); the report names the
     * folder. One launch for both (they were two: a clean scan with an absolute root and the relative root's report);
     * the sweep adds the text report's naming of the folder.
     */
    @Test
    @Tag(Sweep.TAG)
    void exitsZeroOnACleanDatasetReadUnderTheDaemonsWorkingDirectoryAndWritesTheJsonReport(@TempDir Path out) throws Exception {
        Map<String, String> env = localEnv();
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", "storage");
        env.put("RECONCILER_DAEMON_WORKING_DIRECTORY", localRoot.getParent().toString());
        launch(new Launch("json", true, () -> {
            Path report = out.resolve("report.json");
            Outcome o = PackagedApp.run(env, "scan", "--output", report.toString());
            assertEquals(0, o.exitCode(), o::stderr);
            JsonNode json = JSON.readTree(report.toFile());
            assertEquals("success", json.get("result").asText());
            assertEquals(0, json.get("findings").size());
            assertEquals(0, json.get("summary").get("total").asLong());
            assertEquals(3 * 6 + 2, json.get("scanned").get("rows").get("plugin_installations").asLong());
            assertEquals("local:" + localRoot + " (PLUGIN_STORAGE_LOCAL_ROOT=storage relative to the daemon's working"
                    + " directory, reconciler.daemon-working-directory)", json.get("scanned").get("storage").asText());
            assertTrue(o.stdout().contains("Result: clean"), o.stdout());
            assertNoSecrets(o, DB_PASSWORD);
        }), new Launch("text", false, () -> {
            Outcome text = PackagedApp.run(env, "scan", "--format", "text");
            assertEquals(0, text.exitCode(), text::stderr);
            assertTrue(text.stdout().contains(" and local:" + localRoot + " (PLUGIN_STORAGE_LOCAL_ROOT=storage"), text.stdout());
        }));
    }

    /** Default: found with DB_EXTRAS; sweep: not found without (a missing table, as the default's own test). */
    @Test
    @Tag(Sweep.TAG)
    void findsTheDaemonsTablesInTheSchemaDbExtrasPutsOnTheSearchPathBehindPgbouncer(@TempDir Path root) throws Exception {
        try (TestDatabase other = EmbeddedPostgres.shared().createDatabase()) {
            try (var c = other.connect(); var st = c.createStatement()) {
                st.execute("CREATE SCHEMA plugin_daemon");
                st.execute("SET search_path = plugin_daemon");
                SchemaFixture.CURRENT.applyTo(c);
            }
            launch(new Launch("without DB_EXTRAS", false, () -> {
                Outcome withoutExtras = PackagedApp.run(localEnv(other, root), "scan");
                assertEquals(2, withoutExtras.exitCode(), withoutExtras::stderr);
                assertTrue(withoutExtras.stderr().contains("does not exist"), withoutExtras.stderr());
            }), new Launch("with DB_EXTRAS", true, () -> {
                Map<String, String> env = localEnv(other, root);
                env.put("DB_EXTRAS", "-c search_path=plugin_daemon");
                env.put("DB_TYPE", "pgbouncer");
                Outcome o = PackagedApp.run(env, "scan", "--format", "text");
                assertEquals(0, o.exitCode(), o::stderr);
                assertTrue(o.stdout().contains("through pgbouncer, options '-c search_path=plugin_daemon')"), o.stdout());
                assertNoSecrets(o, DB_PASSWORD);
            }));
        }
    }

    /**
     * Answered by the launcher before start-up: without any database or storage variable a start-up would fail
     * naming DB_HOST, so these answers prove nothing started. The usage goes to stderr for an error, stdout for help.
     * The sweep adds the same unknown option with a full configuration.
     */
    @Test
    @Tag(Sweep.TAG)
    void aWrongCommandLineOrHelpIsAnsweredBeforeStartUpWithoutAnyConfiguration() throws Exception {
        launch(new Launch("without configuration", true, ScanCommandIT::wrongCommandLineAndHelpWithoutConfiguration),
                new Launch("unknown option with a full configuration", false, () -> {
                    Outcome o = PackagedApp.run(localEnv(), "scan", "--bogus");
                    assertEquals(2, o.exitCode(), o::stderr);
                    assertTrue(o.stderr().contains("unknown option '--bogus'"), o.stderr());
                }));
    }

    private static void wrongCommandLineAndHelpWithoutConfiguration() throws Exception {
        Outcome wrong = PackagedApp.run(Map.of(), "scan", "--bogus");
        assertEquals(2, wrong.exitCode(), wrong::stderr);
        assertEquals("scan: unknown option '--bogus'\nusage: scan [--output FILE] [--format json|text] [--fail-on info|warning|critical]\n",
                wrong.stderr());
        assertEquals("", wrong.stdout());
        Outcome help = PackagedApp.run(Map.of(), "scan", "--help");
        assertEquals(0, help.exitCode(), help::stderr);
        assertTrue(help.stdout().startsWith("usage: scan [--output FILE]"), help.stdout());
        assertTrue(help.stdout().contains("--fail-on"), help.stdout());
        assertEquals("", help.stderr());
    }

    @Test
    void exitsTwoWhenStandardOutputRefusesTheReport() throws Exception {
        Outcome o = PackagedApp.run(localEnv(), Path.of("/dev/full"), "scan", "--format", "text");
        assertEquals(2, o.exitCode(), o::stderr);
        assertTrue(o.stderr().contains("could not write the report"), o.stderr());
    }

    @Test
    void exitsTwoWithNoFindingsWhenStorageFailsAfterTheDatabasePhaseFoundDrift(@TempDir Path out) throws Exception {
        // The installed prefix is a link (a volume mounted the wrong way): it is never followed, so never read as empty.
        Path root = Files.createDirectory(out.resolve("storage"));
        Files.createSymbolicLink(root.resolve("plugin"), localRoot.resolve("plugin"));
        Path report = out.resolve("report.json");
        DaemonRows rows = DaemonRows.on(db);
        rows.execute("UPDATE plugins SET refers = refers + 1 WHERE install_type = 'serverless'");
        try {
            Outcome o = PackagedApp.run(localEnv(db, root), "scan", "--output", report.toString());
            assertEquals(2, o.exitCode(), o::stderr);
            JsonNode json = JSON.readTree(report.toFile());
            assertEquals("failure", json.get("result").asText());
            assertEquals("storage", json.get("failedPhase").asText());
            assertTrue(json.get("error").asText().contains("symbolic link"), json.toString());
            assertEquals(0, json.get("findings").size());
            assertEquals(0, json.get("summary").size());
            assertTrue(o.stdout().contains("SCAN FAILED in phase storage"), o.stdout());
        } finally {
            rows.execute("UPDATE plugins SET refers = refers - 1 WHERE install_type = 'serverless'");
        }
    }
}
