package dify.reconciler.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dify.reconciler.testsupport.S3ProxyServer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The footprint benchmark behind {@code scripts/footprint-benchmark.sh} (issue 20, "a small footprint beside the
 * daemon"). Seeds a small dataset with {@link Benchmark}'s seeding (same planted drift, checked on every scan), then,
 * per storage and per variant of JVM options, starts the packaged service the way the manifests do (their
 * {@code JAVA_TOOL_OPTIONS} and environment, pinned to {@code footprint.cpus} CPUs with {@code taskset} like a 1-CPU
 * container limit, which the JVM sizes its pools and compiler threads by), and prints:
 * <ul>
 * <li>start time (launch to {@code /q/health/started}), the first (cold) scan and the median of the others;</li>
 * <li>steady RSS: VmRSS of the service a few seconds after {@code footprint.scans} scans, and its VmHWM and
 * thread count;</li>
 * <li>where the memory goes: a second service run with {@code -XX:NativeMemoryTracking=summary} (NMT costs some
 * memory itself, so the RSS above comes from a run without it), {@code jcmd VM.native_memory summary} after the
 * same scans;</li>
 * <li>the one-shot {@code scan}: wall time, CPU time (user + system, GNU time) and the scan inside the JVM.</li>
 * </ul>
 * Properties: {@code footprint.java-tool-options} (the manifests' {@code JAVA_TOOL_OPTIONS}),
 * {@code footprint.env} ({@code NAME=value} pairs separated by spaces, e.g. the manifests' {@code MALLOC_ARENA_MAX}),
 * {@code footprint.variants} (JVM options added on the command line, which win over {@code JAVA_TOOL_OPTIONS};
 * variants separated by {@code |}; the empty variant is the manifests' options as they are; default: only that; a
 * token {@code env:NAME=value} sets an environment variable instead),
 * {@code footprint.scans} (10), {@code footprint.one-shots} (3), {@code footprint.cpus} (1), {@code footprint.nmt}
 * (true), and {@link Benchmark}'s {@code bench.tenants} / {@code bench.plugins} / {@code bench.storage}.
 * Exits 1 when a scan does not find exactly the planted drift or the service does not start.
 */
public final class FootprintBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** NMT's summary lines, e.g. {@code -                 Class (reserved=1070KB, committed=686KB)}. */
    private static final Pattern NMT_LINE = Pattern.compile("^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)");
    private static final Pattern NMT_TOTAL = Pattern.compile("^Total: reserved=(\\d+)KB, committed=(\\d+)KB");

    private final Benchmark bench = new Benchmark();
    private final String javaToolOptions = System.getProperty("footprint.java-tool-options", "").trim();
    private final Map<String, String> extraEnv = pairs(System.getProperty("footprint.env", ""));
    private final List<String> variants = Arrays.asList(System.getProperty("footprint.variants", "").split("\\|", -1));
    private final int scans = Integer.getInteger("footprint.scans", 10);
    private final int oneShots = Integer.getInteger("footprint.one-shots", 3);
    private final int cpus = Integer.getInteger("footprint.cpus", 1);
    private final boolean nmt = Boolean.parseBoolean(System.getProperty("footprint.nmt", "true"));
    private final List<String> storages = Arrays.asList(System.getProperty("bench.storage", "s3").split(","));
    private final Path appJar = Path.of(System.getProperty("app.jar", "target/quarkus-app/quarkus-run.jar"));
    private final Path out = Path.of(System.getProperty("bench.out", "target/benchmark"));
    private final List<String> table = new ArrayList<>();
    private Map<String, String> variantEnv = Map.of();

    public static void main(String[] args) {
        FootprintBenchmark footprint = new FootprintBenchmark();
        int status = 1;
        try {
            footprint.run();
            status = 0;
        } catch (Throwable e) {
            System.err.println("FOOTPRINT BENCHMARK FAILED: " + e.getMessage());
            e.printStackTrace();
        } finally {
            footprint.bench.tearDown();
        }
        System.exit(status);
    }

    private void run() throws Exception {
        if (!Files.isRegularFile(appJar)) {
            throw new IllegalStateException(appJar + " is missing: run `./mvnw package` first");
        }
        Files.createDirectories(out);
        bench.say("# Footprint: JAVA_TOOL_OPTIONS=%s, env %s, %d CPU(s) (taskset), %d scans per service run, storages %s",
                javaToolOptions, extraEnv, cpus, scans, storages);
        bench.say("load average before: %s", Benchmark.loadAverage());
        bench.setUp();
        table.add("| storage | extra JVM options | start | first scan | median scan | steady VmRSS | VmHWM | threads"
                + " | NMT committed | one-shot wall | one-shot CPU | one-shot scan inside |");
        table.add("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (String storage : storages) {
            for (String variant : variants) {
                measure(storage, variant.trim());
            }
        }
        bench.say("load average after: %s", Benchmark.loadAverage());
        bench.say("");
        for (String row : table) {
            bench.say("%s", row);
        }
    }

    private void measure(String storage, String variant) throws Exception {
        // A variant's "env:NAME=value" tokens set the environment (MALLOC_ARENA_MAX), the others are JVM options.
        List<String> options = new ArrayList<>();
        Map<String, String> env = new LinkedHashMap<>();
        for (String token : variant.isEmpty() ? new String[0] : variant.split("\\s+")) {
            if (token.startsWith("env:")) {
                env.putAll(pairs(token.substring(4)));
            } else {
                options.add(token);
            }
        }
        variantEnv = env;
        String label = variant.isEmpty() ? "(the manifests' options)" : variant;
        ServiceRun plain = service(storage, options, false);
        bench.say("service %s %s: started %.2fs, scans %s, steady VmRSS %d MiB, VmHWM %d MiB, %d threads", storage, label,
                plain.started, Benchmark.fmt(plain.scans), plain.rssKb / 1024, plain.hwmKb / 1024, plain.threads);
        String nmtTotal = "-";
        if (nmt) {
            List<String> withNmt = new ArrayList<>(options);
            withNmt.add("-XX:NativeMemoryTracking=summary");
            ServiceRun tracked = service(storage, withNmt, true);
            Map<String, long[]> summary = parseNmt(tracked.nmt);
            long[] total = summary.get("Total");
            nmtTotal = total == null ? "?" : String.format(Locale.ROOT, "%d MiB", total[1] / 1024);
            StringBuilder compact = new StringBuilder();
            summary.forEach((k, v) -> {
                if (v[1] >= 1024) {
                    compact.append(String.format(Locale.ROOT, "%s %d, ", k, v[1] / 1024));
                }
            });
            bench.say("  NMT (committed MiB, with NMT on: VmRSS %d MiB, scans %s): %s", tracked.rssKb / 1024,
                    Benchmark.fmt(tracked.scans), compact);
            Path file = out.resolve("nmt-" + storage + "-" + table.size() + ".txt");
            Files.writeString(file, "extra JVM options: " + label + "\n\n" + tracked.nmt, StandardCharsets.UTF_8);
            bench.say("  full NMT summary: %s", file);
        }
        List<Double> walls = new ArrayList<>();
        List<Double> cpu = new ArrayList<>();
        List<Double> inside = new ArrayList<>();
        for (int i = 0; i < oneShots; i++) {
            double[] r = oneShot(storage, options, i == 0);
            walls.add(r[0]);
            cpu.add(r[1]);
            inside.add(r[2]);
        }
        bench.say("one-shot %s %s: wall %s, CPU %s, scan inside %s", storage, label, Benchmark.fmt(walls), Benchmark.fmt(cpu),
                Benchmark.fmt(inside));
        List<Double> warm = plain.scans.subList(1, plain.scans.size());
        table.add(
                String.format(Locale.ROOT, "| %s | %s | %.2f s | %.2f s | %.3f s | %d MiB | %d MiB | %d | %s | %.2f s | %.2f s | %.2f s |",
                        storage, variant.isEmpty() ? "(the manifests')" : "`" + variant + "`", plain.started, plain.scans.get(0),
                        warm.isEmpty() ? Double.NaN : Benchmark.median(warm), plain.rssKb / 1024, plain.hwmKb / 1024, plain.threads,
                        nmtTotal, Benchmark.median(walls), Benchmark.median(cpu), Benchmark.median(inside)));
    }

    private record ServiceRun(double started, List<Double> scans, long rssKb, long hwmKb, long threads, String nmt) {
    }

    /** The JVM as a container runs it: JAVA_TOOL_OPTIONS and the manifests' environment, pinned to the CPUs of a limit. */
    private ProcessBuilder app(String storage, List<String> options, List<String> prefix, String... args) {
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of("taskset", "-c", cpuList()));
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(options);
        command.addAll(List.of("-jar", appJar.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PLUGIN_") || k.startsWith("S3_")
                || k.startsWith("AWS_") || k.startsWith("RECONCILER_") || k.startsWith("MALLOC_") || k.startsWith("JAVA_")
                || k.equals("PORT"));
        pb.environment().put("LANG", "C.UTF-8");
        pb.environment().putAll(bench.env(storage));
        pb.environment().putAll(extraEnv);
        pb.environment().putAll(variantEnv);
        if (!javaToolOptions.isEmpty()) {
            pb.environment().put("JAVA_TOOL_OPTIONS", javaToolOptions);
        }
        return pb;
    }

    private String cpuList() {
        int available = Runtime.getRuntime().availableProcessors();
        int n = Math.max(1, Math.min(cpus, available));
        // The last CPUs: the benchmark's own JVM, PostgreSQL and S3Proxy are not pinned and may use any.
        return (available - n) + "-" + (available - 1);
    }

    private ServiceRun service(String storage, List<String> options, boolean withNmt) throws Exception {
        int port = S3ProxyServer.freeLoopbackPort();
        Path logFile = out.resolve("footprint-service-" + storage + ".log");
        ProcessBuilder pb = app(storage, options, List.of());
        pb.environment().put("PORT", String.valueOf(port));
        Process p = pb.redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        try {
            double started = bench.awaitStarted(p, port, logFile);
            List<Double> walls = new ArrayList<>();
            for (int i = 0; i < scans; i++) {
                Benchmark.Timed timed = Benchmark.post(port, "/api/v1/runs");
                if (timed.response().statusCode() / 100 != 2) {
                    throw new IllegalStateException("POST /api/v1/runs answered " + timed.response().statusCode());
                }
                JsonNode doc = JSON.readTree(timed.response().body());
                JsonNode run = doc.has("durationSeconds") ? doc : doc.path("run");
                if (!"success".equals(run.path("result").asText())) {
                    throw new IllegalStateException("scan failed: " + timed.response().body());
                }
                walls.add(timed.wall());
                if (i == 0) {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/report"))
                            .timeout(Duration.ofMinutes(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    bench.checkFindings("service " + storage + (withNmt ? " (NMT)" : ""), JSON.readTree(r.body()));
                }
            }
            // Steady: what the pod holds between scans, not in the middle of one.
            Thread.sleep(5_000);
            Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
            long rss = statusValue(status, "VmRSS:");
            long hwm = statusValue(status, "VmHWM:");
            long threads = statusValue(status, "Threads:");
            // taskset execs the JVM in its own process: the pid is the JVM's.
            String nmtText = withNmt ? jcmd(p.pid(), "VM.native_memory", "summary") : null;
            return new ServiceRun(started, walls, rss, hwm, threads, nmtText);
        } finally {
            Benchmark.stop(p);
        }
    }

    /** Wall seconds, CPU seconds (user + system) and the report's scan duration of one one-shot scan. */
    private double[] oneShot(String storage, List<String> options, boolean check) throws Exception {
        Path report = out.resolve("footprint-oneshot-" + storage + ".json");
        Path times = out.resolve("footprint-oneshot-" + storage + ".time");
        Path stderr = out.resolve("footprint-oneshot-" + storage + ".stderr");
        Files.deleteIfExists(report);
        ProcessBuilder pb = app(storage, options, List.of("/usr/bin/time", "-o", times.toString(), "-f", "%e %U %S"),
                "scan", "--output", report.toString(), "--format", "json")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(stderr.toFile());
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("one-shot scan did not finish");
        }
        if (p.exitValue() == 2 || !Files.exists(report)) {
            throw new IllegalStateException("one-shot scan failed (exit " + p.exitValue() + "):\n"
                    + Benchmark.tail(Files.readString(stderr)));
        }
        JsonNode doc = JSON.readTree(report.toFile());
        if (check) {
            bench.checkFindings("one-shot " + storage, doc);
        }
        String[] t = Files.readString(times).trim().split("\\s+");
        int n = t.length;
        return new double[] {Double.parseDouble(t[n - 3]), Double.parseDouble(t[n - 2]) + Double.parseDouble(t[n - 1]),
                doc.path("durationSeconds").asDouble()};
    }

    private static String jcmd(long pid, String... command) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(pid)));
        cmd.addAll(List.of(command));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("jcmd failed: " + output);
        }
        return output;
    }

    /** NMT summary: category to {reserved, committed} KB; "Total" for the total. */
    static Map<String, long[]> parseNmt(String text) {
        Map<String, long[]> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            Matcher total = NMT_TOTAL.matcher(line.trim());
            if (total.find()) {
                m.put("Total", new long[] {Long.parseLong(total.group(1)), Long.parseLong(total.group(2))});
                continue;
            }
            Matcher c = NMT_LINE.matcher(line.trim());
            if (c.find()) {
                m.put(c.group(1).trim(), new long[] {Long.parseLong(c.group(2)), Long.parseLong(c.group(3))});
            }
        }
        return m;
    }

    private static long statusValue(Path status, String key) throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static Map<String, String> pairs(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String pair : text.trim().split("\\s+")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                m.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return m;
    }
}
