package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dify.reconciler.testsupport.PackagedApp;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The packaged service as the sidecar in the plugin daemon's pod runs it ({@code k8s/sidecar/daemon-patch.yaml}:
 * its {@code RECONCILER_*} environment and its probe paths are read from that file), with a broken
 * configuration: the process must stay up, every probe the patch declares must answer 200 (a failing probe or a
 * crash loop would make the daemon's pod not-ready), and {@code /q/metrics} must say the configuration is
 * invalid. Without the sidecar setting the service keeps failing fast.
 */
class SidecarModeIT {

    private static final Path PATCH = Path.of("k8s", "sidecar", "daemon-patch.yaml");
    private static final String DB_PASSWORD = "sidecar-db-password-never-printed";
    private static final String AWS_SECRET = "sidecar-aws-secret-never-printed";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static List<String> probePaths;
    private static Map<String, String> sidecarEnv;

    @BeforeAll
    static void readThePatch() throws IOException {
        String patch = Files.readString(PATCH, StandardCharsets.UTF_8);
        probePaths = new ArrayList<>();
        Matcher probe = Pattern.compile("(?m)^\\s+(startupProbe|livenessProbe|readinessProbe):\\s*\\n\\s+httpGet:\\s*\\n"
                + "\\s+path:\\s*(\\S+)").matcher(patch);
        while (probe.find()) {
            probePaths.add(probe.group(2));
        }
        assertEquals(3, probePaths.size(), "the patch declares a startup, a liveness and a readiness probe: " + probePaths);
        sidecarEnv = new LinkedHashMap<>();
        Matcher env = Pattern.compile("(?m)^\\s+- name: (RECONCILER_\\w+)\\s*\\n\\s+value: \"?([^\"\\n]*)\"?\\s*$").matcher(patch);
        while (env.find()) {
            sidecarEnv.put(env.group(1), env.group(2));
        }
        assertEquals("true", sidecarEnv.get("RECONCILER_SIDECAR"), "the sidecar patch must set RECONCILER_SIDECAR=true");
    }

    /** Broken configurations a sidecar can meet, each with the text its log must name. */
    static Stream<Arguments> brokenConfigurations() {
        return Stream.of(
                Arguments.of("Azure Blob without its container",
                        (Consumer<Map<String, String>>) env -> env.put("PLUGIN_STORAGE_TYPE", "azure_blob"),
                        "AZURE_BLOB_STORAGE_CONTAINER_NAME is not set"),
                Arguments.of("DB_HOST missing", (Consumer<Map<String, String>>) env -> env.remove("DB_HOST"), "DB_HOST"),
                Arguments.of("S3 without a bucket", (Consumer<Map<String, String>>) env -> {
                    env.put("PLUGIN_STORAGE_TYPE", "s3");
                    env.put("AWS_ACCESS_KEY", "AKIASIDECARTEST");
                    env.put("AWS_SECRET_KEY", AWS_SECRET);
                    env.put("AWS_REGION", "us-east-1");
                }, "PLUGIN_STORAGE_OSS_BUCKET"),
                Arguments.of("malformed reconciler setting",
                        (Consumer<Map<String, String>>) env -> env.put("RECONCILER_GRACE_PERIOD", "banana"),
                        "reconciler.grace-period"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("brokenConfigurations")
    void aSidecarWithABrokenConfigurationStaysUpAnswersEveryProbeAndSaysTheConfigurationIsInvalid(String name,
            Consumer<Map<String, String>> breakIt, String named, @TempDir Path tmp) throws Exception {
        Map<String, String> env = sidecar(localStorage(tmp));
        breakIt.accept(env);
        try (Service s = Service.start(env, tmp)) {
            s.awaitLive();
            for (String path : probePaths) {
                HttpResponse<String> r = s.get(path);
                assertEquals(200, r.statusCode(), path + " " + r.body());
                assertTrue(compact(r.body()).contains("\"configurationValid\":false"), r.body());
            }
            assertEquals("0.0", s.metric("plugin_reconciler_configuration_valid"), "the gauge says invalid");
            assertEquals(503, s.get("/api/v1/report").statusCode());
            Thread.sleep(1500); // a crash after the first answers would still take the pod out
            assertTrue(s.process.isAlive(), "the process must keep running");
            for (String path : probePaths) {
                assertEquals(200, s.get(path).statusCode(), path);
            }
            String output = s.output();
            assertTrue(output.contains(named), "the log names the cause (" + named + "): " + output);
            assertTrue(output.contains("configuration is invalid"), output);
            assertFalse(output.contains(DB_PASSWORD) || output.contains(AWS_SECRET), "a secret was printed");
            assertFalse(s.get("/q/health/ready").body().contains(AWS_SECRET));
        }
    }

    @Test
    void aSidecarWhoseDatabaseIsUnreachableStaysReadyEvenWhenReadinessWouldRequireIt(@TempDir Path tmp) throws Exception {
        Map<String, String> env = sidecar(localStorage(tmp));
        env.put("DB_PORT", Integer.toString(freePort())); // nothing listens there
        env.put("RECONCILER_HEALTH_READINESS_REQUIRES_DEPENDENCIES", "true"); // the sidecar setting wins
        env.put("RECONCILER_FIRST_SCAN_DELAY", "1s");
        try (Service s = Service.start(env, tmp)) {
            s.awaitLive();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"1.0".equals(s.metric("plugin_reconciler_runs_total{result=\"failure\"}"))) {
                if (System.nanoTime() > deadline || !s.process.isAlive()) {
                    fail("no failed scan was counted within 60 s: " + s.output());
                }
                Thread.sleep(250);
            }
            for (String path : probePaths) {
                HttpResponse<String> r = s.get(path);
                assertEquals(200, r.statusCode(), path + " " + r.body());
            }
            String ready = compact(s.get("/q/health/ready").body());
            assertTrue(ready.contains("\"database\":\"unreachable"), ready);
            assertTrue(ready.contains("\"readinessRequiresDependencies\":false"), ready);
            assertTrue(ready.contains("\"sidecar\":true"), ready);
            assertEquals("1.0", s.metric("plugin_reconciler_configuration_valid"), "the configuration itself is valid");
            assertTrue(s.process.isAlive());
            assertFalse(s.output().contains(DB_PASSWORD), "a secret was printed");
        }
    }

    @Test
    void aStandaloneServiceWithABrokenConfigurationStillExitsNonZero(@TempDir Path tmp) throws Exception {
        Map<String, String> env = localStorage(tmp);
        env.put("PLUGIN_STORAGE_TYPE", "AWS_S3"); // the daemon matches exactly: it would not start either
        env.put("PORT", Integer.toString(freePort()));
        Path log = tmp.resolve("standalone.log");
        Process p = PackagedApp.builder(env, List.of("-Xmx256m")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(2, TimeUnit.MINUTES), "a standalone service with a broken configuration must stop");
            assertEquals(2, p.exitValue(), "a configuration that does not start: exit 2, as the one-shot command");
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertTrue(output.contains("PLUGIN_STORAGE_TYPE='AWS_S3' is not a storage type the plugin daemon accepts"), output);
            assertFalse(output.contains(DB_PASSWORD), "a secret was printed");
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void theOneShotCommandIgnoresTheSidecarSettingAndExitsTwo(@TempDir Path tmp) throws Exception {
        Map<String, String> env = sidecar(localStorage(tmp));
        env.put("PLUGIN_STORAGE_TYPE", "AWS_S3");
        PackagedApp.Outcome o = PackagedApp.run(env, "scan");
        assertEquals(2, o.exitCode(), o::stderr);
        assertTrue(o.stderr().contains("PLUGIN_STORAGE_TYPE='AWS_S3' is not a storage type the plugin daemon accepts"), o.stderr());
    }

    /** A valid-looking local-storage environment; the database need not exist (no scan runs in these tests' windows). */
    private static Map<String, String> localStorage(Path tmp) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("DB_HOST", "127.0.0.1");
        env.put("DB_PORT", Integer.toString(freePort()));
        env.put("DB_USERNAME", "postgres");
        env.put("DB_PASSWORD", DB_PASSWORD);
        env.put("DB_DATABASE", "dify_plugin");
        env.put("PLUGIN_STORAGE_TYPE", "local");
        Path root = Files.createDirectories(tmp.resolve("storage"));
        env.put("PLUGIN_STORAGE_LOCAL_ROOT", root.toString());
        return env;
    }

    /** {@code env} plus the sidecar's RECONCILER_* entries from the patch and a free port. */
    private static Map<String, String> sidecar(Map<String, String> env) throws IOException {
        env.putAll(sidecarEnv);
        env.put("PORT", Integer.toString(freePort()));
        return env;
    }

    /** JSON without the blanks around its colons (Quarkus pretty-prints health answers). */
    private static String compact(String json) {
        return json.replaceAll("\"\\s*:\\s*", "\":");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The packaged service, running in the background on {@code PORT}. */
    private record Service(Process process, int port, Path log) implements AutoCloseable {

        static Service start(Map<String, String> env, Path dir) throws IOException {
            Path log = Files.createTempFile(dir, "service", ".log");
            Process p = PackagedApp.builder(env, List.of("-Xmx256m")).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            return new Service(p, Integer.parseInt(env.get("PORT")), log);
        }

        void awaitLive() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    fail("the process exited with " + process.exitValue() + ": " + output());
                }
                try {
                    if (get("/q/health/live").statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            fail("no answer on /q/health/live within 90 s: " + output());
        }

        HttpResponse<String> get(String path) throws IOException, InterruptedException {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        }

        /** The value of one series of /q/metrics (name with labels, exactly as exposed), or null. */
        String metric(String series) throws IOException, InterruptedException {
            HttpResponse<String> r = get("/q/metrics");
            assertEquals(200, r.statusCode(), r.body());
            String prefix = series.endsWith("}") ? series.substring(0, series.length() - 1) : series;
            for (String line : r.body().split("\n")) {
                if (line.startsWith(series + " ")) {
                    return line.substring(series.length() + 1).trim();
                }
                // Micrometer's exposition ends label sets with ",}"
                if (series.endsWith("}") && line.startsWith(prefix + ",} ")) {
                    return line.substring(prefix.length() + 3).trim();
                }
            }
            return null;
        }

        String output() throws IOException {
            return Files.readString(log, StandardCharsets.UTF_8);
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
