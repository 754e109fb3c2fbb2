package dify.reconciler.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.testsupport.BuiltPackage;
import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.DifyDataset;
import dify.reconciler.testsupport.DifyPackageBuilder;
import dify.reconciler.testsupport.EmbeddedPostgres;
import dify.reconciler.testsupport.S3ProxyServer;
import dify.reconciler.testsupport.SchemaFixture;
import dify.reconciler.testsupport.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The benchmark behind {@code scripts/benchmark.sh} ({@code ./mvnw -Pbenchmark package}). Seeds a dedicated
 * embedded PostgreSQL (and a local folder, and S3Proxy) with TENANTS x PLUGINS_PER_TENANT installations of
 * DISTINCT real packages, plants a handful of drifts, then times, each a few times (median):
 * <ul>
 * <li>the one-shot command ({@code java -Xmx192m -jar quarkus-run.jar scan}), wall time and peak RSS;</li>
 * <li>a scan inside the running service ({@code POST /api/v1/runs}; if that endpoint does not exist yet, the
 * scheduled scan with a 1 s interval, timed by the report's own duration), and the service's VmHWM;</li>
 * <li>the yardstick pipeline {@code scripts/yardstick.sh} (psql COPY + find + sort + comm + two aggregates) on
 * the same database and local folder.</li>
 * </ul>
 * Configuration by system properties {@code bench.*} (see {@link #main}). Prints a Markdown table and writes it,
 * with the details, to {@code target/benchmark/}.
 *
 * <p>Figures are only valid when every scan (and the yardstick) found exactly the planted drift. On any mismatch the
 * benchmark stops at once, writes no results table (the log goes to {@code FAILED-<tenants>x<plugins>.log}) and
 * exits 1, so {@code scripts/benchmark.sh} fails.
 */
public final class Benchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BUCKET = "dify-plugins";
    private static final List<String> CATEGORY_TABLES = DaemonRows.CATEGORY_TABLES;

    // Planted drifts and what the scan (and, for its four checks, the yardstick) must find.
    private static final int[] PACKAGE_MISSING = {1, 2};
    private static final int[] INSTALLED_MISSING = {3, 4};
    private static final int[] REFERS_DRIFT = {5, 6, 7};
    private static final int ASSET_MISSING = 8;
    private static final int[] REFERS_TOO_LOW = {9};
    private static final int ORPHAN_CATEGORY_ROWS = 5;
    static final Map<String, Long> EXPECTED = new LinkedHashMap<>();

    static {
        EXPECTED.put("package_missing", (long) PACKAGE_MISSING.length);
        EXPECTED.put("installed_object_missing", (long) INSTALLED_MISSING.length);
        EXPECTED.put("refers_drift", (long) REFERS_DRIFT.length);
        EXPECTED.put("refers_too_low", (long) REFERS_TOO_LOW.length);
        EXPECTED.put("category_row_orphaned", (long) ORPHAN_CATEGORY_ROWS);
        EXPECTED.put("asset_missing", 1L);
        EXPECTED.put("asset_orphaned", 1L);
        EXPECTED.put("package_orphaned", 1L);
        EXPECTED.put("installed_object_orphaned", 1L);
        EXPECTED.put("invalid_installed_key", 1L);
    }

    private final int tenants = Integer.getInteger("bench.tenants", 10_000);
    private final int perTenant = Integer.getInteger("bench.plugins", 15);
    private final int distinct = Integer.getInteger("bench.distinct", 300);
    private final int runs = Integer.getInteger("bench.runs", 3);
    private final int serviceRuns = Integer.getInteger("bench.service-runs", 6);
    private final List<String> storages = Arrays.asList(System.getProperty("bench.storage", "local,s3").split(","));
    private final String xmx = System.getProperty("bench.xmx", "192m");
    private final Path out = Path.of(System.getProperty("bench.out", "target/benchmark"));
    private final Path appJar = Path.of(System.getProperty("app.jar", "target/quarkus-app/quarkus-run.jar"));
    /**
     * Extra JVM options for the app. The default works around a bug in main (a71b697): the one-shot path sets the
     * system property {@code reconciler.mode}, which no {@code @ConfigMapping} declares, so SmallRye's unknown-property
     * validation (SRCFG00050) stops every {@code scan} before it starts (exit 2).
     */
    private final List<String> appOptions = Arrays.stream(System.getProperty("bench.app-opts", "").trim().split("\\s+"))
            .filter(o -> !o.isEmpty()).toList();
    private final Path yardstick = Path.of(System.getProperty("bench.yardstick", "scripts/yardstick.sh"));
    /** How installations and category rows are seeded: {@code sql} (scripts/seed-installations.sql) or {@code copy}. */
    private final String seedWith = System.getProperty("bench.seed", "sql");
    private final Path seedSql = Path.of(System.getProperty("bench.seed-sql", "scripts/seed-installations.sql"));
    /**
     * When set, the run waits after seeding until this file exists before it measures anything. Seeding 15 M rows
     * takes half an hour and may share the machine; the measurement needs it idle for about ten minutes, which the
     * operator signals with {@code touch}.
     */
    private final String measureWhen = System.getProperty("bench.measure-when", "");

    private final StringBuilder log = new StringBuilder();
    private final List<String[]> table = new ArrayList<>();
    private TestDatabase db;
    private EmbeddedPostgres pg;
    private Path localRoot;
    private S3ProxyServer s3;
    private long installations;

    public static void main(String[] args) throws Exception {
        Benchmark benchmark = new Benchmark();
        int status = 1;
        try {
            benchmark.run();
            status = 0;
        } catch (Throwable e) {
            // Exit non-zero (scripts/benchmark.sh and Maven fail) instead of leaving figures that look valid.
            System.err.println("BENCHMARK FAILED: " + e.getMessage());
            e.printStackTrace();
            benchmark.writeFailureLog(e);
        } finally {
            benchmark.tearDown();
        }
        System.exit(status); // embedded PostgreSQL and S3Proxy go away in their shutdown hooks
    }

    /** The planted drift was not found exactly: the run's figures measure something else and are not reported. */
    static final class MismatchException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        MismatchException(String message) {
            super(message);
        }
    }

    private Path resultsFile() {
        return out.resolve("results-" + tenants + "x" + perTenant + ".md");
    }

    private void writeFailureLog(Throwable e) {
        try {
            Files.createDirectories(out);
            Path file = out.resolve("FAILED-" + tenants + "x" + perTenant + ".log");
            Files.writeString(file, "BENCHMARK FAILED, no figures reported: " + e.getMessage() + "\n\n" + log,
                    StandardCharsets.UTF_8);
            System.err.println("log written to " + file);
        } catch (IOException io) {
            System.err.println("could not write the failure log: " + io);
        }
    }

    void run() throws Exception {
        if (!Files.isRegularFile(appJar)) {
            throw new IllegalStateException(appJar + " is missing: run `./mvnw package` first");
        }
        if (distinct < 15 || perTenant > distinct || (long) tenants * perTenant < distinct) {
            throw new IllegalArgumentException("need at least 15 distinct plugins (drift is planted in the first 15),"
                    + " plugins per tenant <= distinct, and at least one installation of every distinct plugin");
        }
        Files.createDirectories(out);
        // A results file of an earlier run must not pass for this run's if this one fails.
        Files.deleteIfExists(resultsFile());
        installations = (long) tenants * perTenant;
        say("# Benchmark: %,d tenants x %d plugins = %,d installations, %d distinct plugins; %s; -Xmx%s; %d runs (service %d)",
                tenants, perTenant, installations, distinct, storages, xmx, runs, serviceRuns);
        say("app JVM options: -Xmx%s %s", xmx, String.join(" ", appOptions));
        say("machine: %d cpus, java %s, %s", Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version"));

        setUp();
        awaitMeasureSignal();
        say("load average at the start of the measurement: %s", loadAverage());

        // Yardstick first (and once unmeasured), which also warms the page cache for everyone.
        List<Double> pipeline = new ArrayList<>();
        Map<String, Long> yardstickCounts = runYardstick();
        for (int i = 0; i < runs; i++) {
            pipeline.add(runYardstickTimed());
        }
        List<String> yardstickBad = yardstickMismatches(yardstickCounts);
        for (var e : yardstickCounts.entrySet()) {
            say("yardstick %s = %d (planted %s)", e.getKey(), e.getValue(), EXPECTED.get(e.getKey()));
        }
        if (!yardstickBad.isEmpty()) {
            say("yardstick MISMATCH %s", yardstickBad);
            throw new MismatchException("the yardstick did not find exactly the planted drift: " + yardstickBad);
        }
        double pipelineMedian = median(pipeline);
        say("yardstick pipeline: median %.3fs of %s", pipelineMedian, fmt(pipeline));

        for (String storage : storages) {
            oneShot(storage, pipelineMedian);
            service(storage, pipelineMedian);
        }
        table.add(new String[] {"yardstick pipeline (psql COPY + find + sort + comm + 2 aggregates), local", fmtCount(installations),
                String.format(Locale.ROOT, "%.2f s", pipelineMedian), "-", "-", String.format(Locale.ROOT, "%.2f s", pipelineMedian),
                "1.00"});
        say("load average at the end of the measurement: %s", loadAverage());
        String markdown = markdownTable();
        say("");
        say("%s", markdown);
        Path file = resultsFile();
        Files.writeString(file, markdown + "\n\n## Log\n\n```\n" + log + "```\n", StandardCharsets.UTF_8);
        System.out.println("written to " + file);
    }

    private void awaitMeasureSignal() throws InterruptedException {
        if (measureWhen.isBlank()) {
            return;
        }
        Path signal = Path.of(measureWhen);
        say("seeded; waiting for %s to exist before measuring (load average %s)", signal, loadAverage());
        long t0 = System.nanoTime();
        while (!Files.exists(signal)) {
            Thread.sleep(5_000);
        }
        say("%s appeared after %.0fs", signal, secs(t0));
    }

    /** The first three fields of /proc/loadavg (1, 5 and 15 minutes), or "unknown" off Linux. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    // ------------------------------------------------------------------ servers

    /** Starts the servers (PostgreSQL, and S3Proxy when an S3 storage is measured) and seeds them. */
    void setUp() throws Exception {
        long t0 = System.nanoTime();
        pg = EmbeddedPostgres.startDedicated();
        tune(pg);
        db = pg.createDatabase();
        SchemaFixture.CURRENT.applyTo(db);
        localRoot = Files.createTempDirectory("bench-storage-");
        if (storages.contains("s3")) {
            s3 = S3ProxyServer.start();
            s3.createBucket(BUCKET);
        }
        say("servers up in %.1fs (PostgreSQL on port %d%s)", secs(t0), pg.port(), s3 == null ? "" : ", S3Proxy at " + s3.endpoint());

        Seeder seeder = new Seeder();
        seeder.seed();
    }

    /** Stops S3Proxy (a private one has no shutdown hook; PostgreSQL goes away in its own). */
    void tearDown() {
        if (s3 != null) {
            s3.close();
        }
    }

    /** Bulk-load settings for the fixture server (restart needed for shared_buffers). */
    private static void tune(EmbeddedPostgres pg) throws SQLException {
        try (Connection c = pg.connectTo("postgres"); Statement st = c.createStatement()) {
            st.execute("ALTER SYSTEM SET shared_buffers = '512MB'");
            st.execute("ALTER SYSTEM SET maintenance_work_mem = '512MB'");
            st.execute("ALTER SYSTEM SET max_wal_size = '8GB'");
            st.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'");
            st.execute("ALTER SYSTEM SET autovacuum = 'off'"); // we VACUUM ANALYZE ourselves after seeding
        }
        pg.stop();
        pg.start();
    }

    Map<String, String> env(String storage) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("DB_HOST", db.host());
        env.put("DB_PORT", String.valueOf(db.port()));
        env.put("DB_USERNAME", db.username());
        env.put("DB_PASSWORD", db.password());
        env.put("DB_DATABASE", db.name());
        env.put("RECONCILER_GRACE_PERIOD", "0s");
        env.put("RECONCILER_INTERVAL", "off");
        env.put("RECONCILER_API_TOKEN", API_TOKEN); // POST /api/v1/runs needs it
        if ("s3".equals(storage)) {
            env.put("PLUGIN_STORAGE_TYPE", "s3");
            env.put("PLUGIN_STORAGE_OSS_BUCKET", BUCKET);
            env.put("S3_ENDPOINT", s3.endpoint().toString());
            env.put("S3_USE_AWS", "false");
            env.put("S3_USE_PATH_STYLE", "true");
            env.put("AWS_ACCESS_KEY", s3.accessKey());
            env.put("AWS_SECRET_KEY", s3.secretKey());
            env.put("AWS_REGION", s3.region());
        } else {
            env.put("PLUGIN_STORAGE_TYPE", "local");
            env.put("PLUGIN_STORAGE_LOCAL_ROOT", localRoot.toString());
        }
        return env;
    }

    private ProcessBuilder app(Map<String, String> env, List<String> prefix, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + xmx);
        command.addAll(appOptions);
        command.add("-jar");
        command.add(appJar.toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PLUGIN_") || k.startsWith("S3_")
                || k.startsWith("AWS_") || k.startsWith("RECONCILER_") || k.equals("PORT"));
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().putAll(env);
        return pb;
    }

    // ------------------------------------------------------------------ one-shot

    private void oneShot(String storage, double pipeline) throws Exception {
        Path timeBin = Path.of("/usr/bin/time");
        boolean gnuTime = Files.isExecutable(timeBin);
        List<Double> walls = new ArrayList<>();
        List<Double> inside = new ArrayList<>();
        List<Long> rss = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Path report = out.resolve("report-oneshot-" + storage + ".json");
            Path stderr = out.resolve("oneshot-" + storage + ".stderr");
            ProcessBuilder pb = app(env(storage), gnuTime ? List.of(timeBin.toString(), "-v") : List.of(),
                    "scan", "--output", report.toString(), "--format", "json")
                    .redirectOutput(out.resolve("oneshot-" + storage + ".stdout").toFile())
                    .redirectError(stderr.toFile());
            long t0 = System.nanoTime();
            Process p = pb.start();
            long hwm = gnuTime ? 0 : pollHwm(p);
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("one-shot scan did not finish");
            }
            double wall = secs(t0);
            int exit = p.exitValue();
            String err = Files.readString(stderr);
            if (exit == 2 || !Files.exists(report)) {
                throw new IllegalStateException("one-shot scan failed (exit " + exit + "):\n" + tail(err));
            }
            if (gnuTime) {
                Matcher m = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)").matcher(err);
                hwm = m.find() ? Long.parseLong(m.group(1)) : -1;
            }
            JsonNode doc = JSON.readTree(report.toFile());
            walls.add(wall);
            inside.add(doc.path("durationSeconds").asDouble());
            rss.add(hwm);
            say("one-shot %s run %d: exit %d, wall %.3fs, scan inside the JVM %.3fs, peak RSS %d MiB, phases %s", storage, i + 1,
                    exit, wall, doc.path("durationSeconds").asDouble(), hwm / 1024, doc.path("phaseSeconds"));
            if (i == 0) {
                checkFindings("one-shot " + storage, doc);
                say("  rows %s objects %s", doc.path("scanned").path("rows"), doc.path("scanned").path("objects"));
            }
        }
        double median = median(walls);
        table.add(new String[] {"one-shot `scan`, " + storage + " storage, -Xmx" + xmx, fmtCount(installations),
                String.format(Locale.ROOT, "%.2f s", median), String.format(Locale.ROOT, "%.0f MiB", median(rss) / 1024),
                String.format(Locale.ROOT, "%.2f s", median(inside)), String.format(Locale.ROOT, "%.2f s", pipeline),
                String.format(Locale.ROOT, "%.2f", median / pipeline)});
    }

    /** VmHWM of a running process (kB), polled until it exits; for machines without GNU time. */
    static long pollHwm(Process p) throws InterruptedException {
        long hwm = 0;
        Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
        while (p.isAlive()) {
            hwm = Math.max(hwm, readHwm(status));
            Thread.sleep(20);
        }
        return hwm;
    }

    static long readHwm(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // process gone
        }
        return 0;
    }

    // ------------------------------------------------------------------ service

    private void service(String storage, double pipeline) throws Exception {
        int port = S3ProxyServer.freeLoopbackPort();
        Map<String, String> env = env(storage);
        env.put("PORT", String.valueOf(port));
        Path logFile = out.resolve("service-" + storage + ".log");
        Process p = app(env, List.of()).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        List<Double> walls = new ArrayList<>();
        List<Double> inside = new ArrayList<>();
        String how;
        long idleHwm;
        long hwm;
        try {
            double started = awaitStarted(p, port, logFile);
            idleHwm = readHwm(Path.of("/proc", String.valueOf(p.pid()), "status"));
            say("service %s: started in %.2fs, VmHWM after start %d MiB", storage, started, idleHwm / 1024);
            how = "POST /api/v1/runs";
            for (int i = 0; i < serviceRuns; i++) {
                record(storage, port, post(port, "/api/v1/runs"), i, walls, inside);
            }
            hwm = readHwm(Path.of("/proc", String.valueOf(p.pid()), "status"));
        } finally {
            stop(p);
        }
        say("service %s (%s): runs %s, VmHWM idle %d MiB, after scans %d MiB", storage, how, fmt(walls), idleHwm / 1024, hwm / 1024);
        // The first scan in a fresh JVM runs cold (interpreted/C1); report the median of the rest when there are some.
        List<Double> warm = walls.size() > 2 ? walls.subList(1, walls.size()) : walls;
        List<Double> warmInside = inside.size() > 2 ? inside.subList(1, inside.size()) : inside;
        double median = median(warm);
        table.add(new String[] {"service, " + how + ", " + storage + " storage, -Xmx" + xmx + " (first scan "
                + String.format(Locale.ROOT, "%.2f s", walls.get(0)) + ", median of the next " + warm.size() + ")",
                fmtCount(installations), String.format(Locale.ROOT, "%.2f s", median),
                String.format(Locale.ROOT, "%d MiB", hwm / 1024), String.format(Locale.ROOT, "%.2f s", median(warmInside)),
                String.format(Locale.ROOT, "%.2f s", pipeline), String.format(Locale.ROOT, "%.2f", median / pipeline)});
    }

    private void record(String storage, int port, Timed timed, int i, List<Double> walls, List<Double> inside)
            throws IOException, InterruptedException {
        HttpResponse<String> response = timed.response();
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("POST /api/v1/runs answered " + response.statusCode() + ": " + response.body());
        }
        double wall = timed.wall();
        JsonNode doc = JSON.readTree(response.body());
        JsonNode run = doc.has("durationSeconds") ? doc : doc.path("run");
        if (!"success".equals(run.path("result").asText())) {
            throw new IllegalStateException("scan failed: " + response.body());
        }
        walls.add(wall);
        inside.add(run.path("durationSeconds").asDouble(Double.NaN));
        say("service %s run %d: HTTP wall %.3fs, scan %.3fs, phases %s", storage, i + 1, wall,
                run.path("durationSeconds").asDouble(Double.NaN), run.path("phaseSeconds"));
        if (i == 0) {
            // The run summary has no counts by kind: check the full report of that same run.
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/report"))
                    .timeout(Duration.ofMinutes(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode report = JSON.readTree(r.body());
            if (r.statusCode() != 200 || !run.path("runId").asText().equals(report.path("runId").asText())) {
                throw new IllegalStateException("GET /api/v1/report answered " + r.statusCode() + " for another run: "
                        + tail(r.body()));
            }
            checkFindings("service " + storage, report);
        }
    }

    private void scheduledRuns(int port, Process p, List<Double> walls, List<Double> inside) throws Exception {
        String lastRun = null;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (walls.size() < serviceRuns && System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("service exited with " + p.exitValue());
            }
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/report"))
                    .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 200) {
                JsonNode doc = JSON.readTree(r.body());
                String runId = doc.path("runId").asText();
                if (!runId.equals(lastRun)) {
                    lastRun = runId;
                    if (!"success".equals(doc.path("result").asText())) {
                        throw new IllegalStateException("scheduled scan failed: " + doc.path("error"));
                    }
                    double d = doc.path("durationSeconds").asDouble();
                    walls.add(d);
                    inside.add(d);
                    say("service scheduled run %d: scan %.3fs, phases %s", walls.size(), d, doc.path("phaseSeconds"));
                    if (walls.size() == 1) {
                        checkFindings("service (scheduled)", doc);
                    }
                }
            }
            Thread.sleep(100);
        }
    }

    /** The service's API token in this benchmark (a throw-away value: the service lives as long as the run). */
    private static final String API_TOKEN = "benchmark-api-token";

    static Timed post(int port, String path) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofMinutes(30)).header("Authorization", "Bearer " + API_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Timed(r, secs(t0));
    }

    double awaitStarted(Process p, int port, Path logFile) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("service exited with " + p.exitValue() + ":\n" + tail(Files.readString(logFile)));
            }
            try {
                HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/q/health/started"))
                        .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return secs(t0);
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("service did not start:\n" + tail(Files.readString(logFile)));
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    // ------------------------------------------------------------------ yardstick

    private Map<String, Long> runYardstick() throws Exception {
        Path work = out.resolve("yardstick");
        Files.createDirectories(work);
        ProcessBuilder pb = new ProcessBuilder("bash", yardstick.toString(), localRoot.toString(), work.toString());
        pb.environment().putAll(env("local"));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("yardstick failed:\n" + output);
        }
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            String[] parts = line.trim().split("\\|");
            if (parts.length == 2) {
                if (parts[0].equals("yardstick_seconds")) {
                    lastYardstickSeconds = Double.parseDouble(parts[1]);
                } else {
                    counts.put(parts[0], Long.parseLong(parts[1].trim()));
                }
            }
        }
        return counts;
    }

    private double lastYardstickSeconds;

    private double runYardstickTimed() throws Exception {
        long t0 = System.nanoTime();
        runYardstick();
        double outer = secs(t0);
        say("yardstick run: %.3fs (its own date +%%s.%%N), %.3fs including bash start", lastYardstickSeconds, outer);
        return lastYardstickSeconds;
    }

    // ------------------------------------------------------------------ checks and output

    /** The checks the yardstick runs: each must report exactly what was planted for it. */
    static final List<String> YARDSTICK_CHECKS = List.of("package_missing", "installed_object_missing", "refers_too_low",
            "refers_drift", "category_row_orphaned");

    static List<String> yardstickMismatches(Map<String, Long> counts) {
        List<String> bad = new ArrayList<>();
        for (String check : YARDSTICK_CHECKS) {
            Long got = counts.get(check);
            if (!EXPECTED.get(check).equals(got)) {
                bad.add(check + "=" + got + " (planted " + EXPECTED.get(check) + ")");
            }
        }
        return bad;
    }

    /** Differences between a report's {@code summary.byKind} and the planted drift: every kind, planted or not. */
    static List<String> mismatches(JsonNode byKind) {
        List<String> bad = new ArrayList<>();
        if (!byKind.isObject() || byKind.isEmpty()) {
            bad.add("the report has no summary.byKind");
            return bad;
        }
        for (var e : EXPECTED.entrySet()) {
            long got = byKind.path(e.getKey()).asLong(-1);
            if (got != e.getValue()) {
                bad.add(e.getKey() + "=" + got + " (planted " + e.getValue() + ")");
            }
        }
        byKind.properties().forEach(e -> {
            if (!EXPECTED.containsKey(e.getKey()) && e.getValue().asLong() != 0) {
                bad.add(e.getKey() + "=" + e.getValue().asLong() + " (planted 0)");
            }
        });
        return bad;
    }

    void checkFindings(String what, JsonNode doc) {
        JsonNode byKind = doc.path("summary").path("byKind");
        List<String> bad = mismatches(byKind);
        long total = doc.path("summary").path("total").asLong();
        long planted = EXPECTED.values().stream().mapToLong(Long::longValue).sum();
        say("%s findings: total %d (planted %d)%s; byKind %s", what, total, planted,
                bad.isEmpty() ? ", every planted drift found" : ", MISMATCH " + bad, nonZero(byKind));
        if (!bad.isEmpty()) {
            throw new MismatchException(what + " did not find exactly the planted drift: " + bad);
        }
    }

    private static Map<String, Long> nonZero(JsonNode byKind) {
        Map<String, Long> m = new LinkedHashMap<>();
        byKind.properties().forEach(e -> {
            if (e.getValue().asLong() != 0) {
                m.put(e.getKey(), e.getValue().asLong());
            }
        });
        return m;
    }

    private String markdownTable() {
        StringBuilder sb = new StringBuilder();
        sb.append("| scenario | installations | median wall time | peak RSS | scan time inside the JVM | pipeline time | ratio |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        for (String[] row : table) {
            sb.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        return sb.toString();
    }

    void say(String format, Object... args) {
        String line = String.format(Locale.ROOT, format, args);
        System.out.println(line);
        System.out.flush();
        log.append(line).append('\n');
    }

    static String tail(String s) {
        return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
    }

    static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    static double median(List<? extends Number> values) {
        double[] sorted = values.stream().mapToDouble(Number::doubleValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static String fmt(List<Double> values) {
        return values.stream().map(v -> String.format(Locale.ROOT, "%.3f", v)).toList().toString();
    }

    private static String fmtCount(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    // ------------------------------------------------------------------ seeding

    /** A pseudo-random, stable tenant id (version-4 layout) for tenant {@code t}. */
    static UUID tenant(long t) {
        long a = mix(t * 2 + 1);
        long b = mix(t * 2 + 2);
        return new UUID((a & ~0xF000L) | 0x4000L, (b & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private final class Seeder {
        final List<BuiltPackage> packages = new ArrayList<>();
        final List<String> assets = new ArrayList<>();
        final long[] refers = new long[distinct];

        void seed() throws Exception {
            Instant at = Instant.now().minus(2, ChronoUnit.HOURS).truncatedTo(ChronoUnit.SECONDS);
            DaemonRows rows = DaemonRows.on(db).at(at);
            long t0 = System.nanoTime();
            List<BiConsumer<String, byte[]>> writers = new ArrayList<>();
            writers.add((key, bytes) -> writeLocal(key, bytes));
            if (s3 != null) {
                writers.add((key, bytes) -> s3.putDirectly(BUCKET, key, bytes));
            }
            long objects = 0;
            long objectBytes = 0;
            for (int i = 0; i < distinct; i++) {
                String name = String.format(Locale.ROOT, "plugin_%04d", i);
                byte[] icon = ("<svg xmlns='http://www.w3.org/2000/svg'><title>" + name + "</title></svg>")
                        .getBytes(StandardCharsets.UTF_8);
                BuiltPackage pkg = DifyPackageBuilder.aPackage().author("bench").name(name)
                        .version("1." + (i / 100) + "." + (i % 100)).icon("icon.svg", icon)
                        .file("main.py", "print('" + name + "')\n").build();
                packages.add(pkg);
                String assetId = BuiltPackage.assetId("icon.svg", icon);
                assets.add(assetId);
                for (var w : writers) {
                    if (i != ASSET_MISSING) {
                        w.accept("assets/" + assetId, icon);
                    }
                    if (!contains(PACKAGE_MISSING, i)) {
                        w.accept(pkg.key("plugin_packages/"), pkg.bytes());
                    }
                    if (!contains(INSTALLED_MISSING, i)) {
                        w.accept(pkg.key("plugin/"), pkg.bytes());
                    }
                }
                objects += 3;
                objectBytes += icon.length + 2L * pkg.bytes().length;
            }
            // Orphans in storage: an installed copy and a package nobody knows, an unreferenced asset, a broken key.
            BuiltPackage strayInstalled = DifyPackageBuilder.aPackage().author("bench").name("stray_installed").version("0.0.1").build();
            BuiltPackage strayPackage = DifyPackageBuilder.aPackage().author("bench").name("stray_package").version("0.0.1").build();
            byte[] strayIcon = "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.UTF_8);
            for (var w : writers) {
                w.accept(strayInstalled.key("plugin/"), strayInstalled.bytes());
                w.accept(strayPackage.key("plugin_packages/"), strayPackage.bytes());
                w.accept("assets/" + BuiltPackage.assetId("stray.svg", strayIcon), strayIcon);
                w.accept("plugin/bench/email_0.0.7@" + "6c".repeat(32), strayInstalled.bytes()); // colon lost in a copy
            }
            say("seed objects: %,d objects (%,d KiB) per store, %d store(s), %.1fs", objects + 4, objectBytes / 1024,
                    writers.size(), secs(t0));

            long t1 = System.nanoTime();
            for (long t = 0; t < tenants; t++) {
                for (int j = 0; j < perTenant; j++) {
                    refers[plugin(t, j)]++;
                }
            }
            for (int i = 0; i < distinct; i++) {
                BuiltPackage pkg = packages.get(i);
                String pluginId = "bench/" + pkg.name();
                String category = CATEGORY_TABLES.get(i % CATEGORY_TABLES.size());
                rows.insertDeclaration(pkg.identifier(), pluginId, DifyDataset.declarationJson(pkg, assets.get(i), category));
                long planted = contains(REFERS_DRIFT, i) ? 1 : contains(REFERS_TOO_LOW, i) ? -1 : 0;
                rows.insertPlugin(pkg.identifier(), pluginId, refers[i] + planted, "local", null);
            }
            say("seed plugins + declarations: %d each (single-row inserts), %.1fs", distinct, secs(t1));
            t1 = System.nanoTime();
            List<String[]> deferred = dropSecondaryIndexes();
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                if (seedWith.equals("sql")) {
                    seedWithSql(at);
                    say("seed SQL (%s, generate_series): %,d installations, %,d category rows, %.1fs", seedSql,
                            countRows(List.of("plugin_installations")), countRows(CATEGORY_TABLES), secs(t1));
                } else {
                    copyRows(rows, pool, t1);
                }
                long t2 = System.nanoTime();
                List<Future<?>> builds = new ArrayList<>();
                for (String[] index : deferred) {
                    builds.add(pool.submit(() -> sql(index[1])));
                }
                for (Future<?> f : builds) {
                    f.get();
                }
                say("seed indexes: %d rebuilt, %.1fs", deferred.size(), secs(t2));
            } finally {
                pool.shutdown();
            }
            // Orphaned category rows: a tenant that installed nothing.
            UUID ghost = UUID.fromString("00000000-0000-4000-8000-00000000dead");
            for (int n = 0; n < ORPHAN_CATEGORY_ROWS; n++) {
                BuiltPackage pkg = packages.get(10 + n);
                rows.insertCategoryRow(CATEGORY_TABLES.get((10 + n) % CATEGORY_TABLES.size()), ghost, pkg.name(),
                        pkg.identifier(), "bench/" + pkg.name());
            }
            long t3 = System.nanoTime();
            sql("VACUUM (ANALYZE)");
            // Cluster-wide, so the superuser's (the database's owner is not one).
            try (Connection c = pg.connectTo("postgres"); Statement st = c.createStatement()) {
                st.execute("CHECKPOINT");
            }
            say("seed VACUUM ANALYZE + CHECKPOINT: %.1fs", secs(t3));
            say("seed total: %.1fs; database size %s", secs(t0),
                    querySingle("SELECT pg_size_pretty(pg_database_size(current_database()))"));
        }

        /** The rows as the benchmark seeded them before seed-installations.sql: streamed by COPY from this JVM, two at once. */
        void copyRows(DaemonRows rows, ExecutorService pool, long t1) throws Exception {
            List<Future<Long>> loads = new ArrayList<>();
            loads.add(pool.submit(() -> rows.copyInstallations(installationRows())));
            loads.add(pool.submit(() -> {
                long n = 0;
                for (int c = 0; c < CATEGORY_TABLES.size(); c++) {
                    n += rows.copyCategoryRows(CATEGORY_TABLES.get(c), categoryRows(c));
                }
                return n;
            }));
            long inst = loads.get(0).get();
            long cat = loads.get(1).get();
            say("seed COPY: %,d installations, %,d category rows, %.1fs", inst, cat, secs(t1));
        }

        /** scripts/seed-installations.sql through psql, as a user runs it: as the tables' owner (the daemon's role). */
        void seedWithSql(Instant at) throws Exception {
            ProcessBuilder pb = new ProcessBuilder("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "tenants=" + tenants,
                    "-v", "per_tenant=" + perTenant, "-v", "stamp=" + at, "-f", seedSql.toString());
            pb.environment().putAll(Map.of("PGHOST", db.host(), "PGPORT", String.valueOf(db.port()), "PGUSER", EmbeddedPostgres.DAEMON_USER,
                    "PGPASSWORD", EmbeddedPostgres.DAEMON_PASSWORD, "PGDATABASE", db.name()));
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException(seedSql + " failed:\n" + output);
            }
            for (String line : output.split("\n")) {
                if (line.startsWith("Time:")) {
                    say("  %s: %s", seedSql.getFileName(), line);
                }
            }
        }

        /** The j-th plugin of tenant t: consecutive plugins, so a tenant never installs one twice (needs perTenant <= distinct). */
        int plugin(long t, int j) {
            return (int) ((t * perTenant + j) % distinct);
        }

        Iterator<DaemonRows.InstallationRow> installationRows() {
            return new Generated<>(tenants, perTenant, (t, j) -> {
                BuiltPackage pkg = packages.get(plugin(t, j));
                return new DaemonRows.InstallationRow(tenant(t), "bench/" + pkg.name(), pkg.identifier(), "local", "marketplace");
            }, (t, j) -> true);
        }

        Iterator<DaemonRows.CategoryRow> categoryRows(int table) {
            return new Generated<>(tenants, perTenant, (t, j) -> {
                BuiltPackage pkg = packages.get(plugin(t, j));
                return new DaemonRows.CategoryRow(tenant(t), pkg.name(), pkg.identifier(), "bench/" + pkg.name());
            }, (t, j) -> plugin(t, j) % CATEGORY_TABLES.size() == table);
        }

        void writeLocal(String key, byte[] bytes) {
            try {
                Path file = localRoot.resolve(key);
                Files.createDirectories(file.getParent());
                Files.write(file, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private List<String[]> dropSecondaryIndexes() throws SQLException {
        List<String[]> indexes = new ArrayList<>();
        List<String> tables = new ArrayList<>(CATEGORY_TABLES);
        tables.add("plugin_installations");
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                    + " AND tablename IN ('" + String.join("','", tables) + "') AND indexname NOT LIKE '%\\_pkey'")) {
                while (rs.next()) {
                    indexes.add(new String[] {rs.getString(1), rs.getString(2)});
                }
            }
            for (String[] index : indexes) {
                st.execute("DROP INDEX \"" + index[0] + "\"");
            }
        }
        return indexes;
    }

    private void sql(String statement) {
        try (Connection c = db.connect(); Statement st = c.createStatement()) {
            st.execute("SET maintenance_work_mem = '512MB'");
            st.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(statement, e);
        }
    }

    private long countRows(List<String> tables) throws SQLException {
        long n = 0;
        for (String table : tables) {
            n += Long.parseLong(querySingle("SELECT count(*) FROM " + table));
        }
        return n;
    }

    private String querySingle(String query) throws SQLException {
        try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static boolean contains(int[] values, int v) {
        for (int x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** Rows for every (tenant, j) accepted by a filter, generated lazily. */
    private static final class Generated<T> implements Iterator<T> {
        interface Maker<T> {
            T make(long t, int j);
        }

        interface Filter {
            boolean test(long t, int j);
        }

        private final long tenants;
        private final int perTenant;
        private final Maker<T> maker;
        private final Filter filter;
        private long t;
        private int j = -1;
        private boolean ready;

        Generated(long tenants, int perTenant, Maker<T> maker, Filter filter) {
            this.tenants = tenants;
            this.perTenant = perTenant;
            this.maker = maker;
            this.filter = filter;
        }

        @Override
        public boolean hasNext() {
            while (!ready) {
                j++;
                if (j == perTenant) {
                    j = 0;
                    t++;
                }
                if (t >= tenants) {
                    return false;
                }
                ready = filter.test(t, j);
            }
            return true;
        }

        @Override
        public T next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            ready = false;
            return maker.make(t, j);
        }
    }

    /** A response and the client-side wall time of its request. */
    record Timed(HttpResponse<String> response, double wall) {
    }
}
