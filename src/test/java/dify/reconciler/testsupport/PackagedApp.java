package dify.reconciler.testsupport;

import dify.reconciler.remediate.write.StepHook;
import dify.reconciler.testhook.TestStepHook;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Runs the packaged application ({@code target/quarkus-app/quarkus-run.jar}) as a separate JVM with a
 * given environment, the way a Kubernetes Job or CI step does. The environment starts empty of the
 * daemon's variables, so a test says exactly what the process sees.
 *
 * <p>
 * The production jar holds no test hook. A run whose JVM options or {@code JAVA_TOOL_OPTIONS} set a
 * {@code dify.reconciler.test.*} property (halt or pause at a step) is started with the test-only {@link TestStepHook},
 * copied alone into a directory of its own, on the system class path before the jar; every other run is
 * {@code java -jar quarkus-run.jar}, exactly as in production ({@link #runWithoutTestHook} forces that).
 */
public final class PackagedApp {

    public record Outcome(int exitCode, String stdout, String stderr) {
    }

    private PackagedApp() {
    }

    /** quarkus-run.jar's Main-Class. */
    private static final String ENTRY_POINT = "io.quarkus.bootstrap.runner.QuarkusEntryPoint";

    private static Path testHookJar;

    /** Whether a run sets a test-only property, so it needs the test hook on its class path. */
    private static boolean setsTestProperty(Map<String, String> env, List<String> jvmOptions) {
        String prefix = "-D" + StepHook.TEST_SETTING_PREFIX;
        return env.getOrDefault("JAVA_TOOL_OPTIONS", "").contains(prefix) || jvmOptions.stream().anyMatch(o -> o.startsWith(prefix));
    }

    /** A directory holding only the test hook's class (not all test classes: no test configuration may leak in). */
    /**
     * A jar of the hook and its nested classes (its nest, which it loads when a step is reached), made once per test
     * JVM. A jar, not a folder: the JVM refuses to make a class-data archive for a class path with a non-empty folder
     * ("Cannot have non-empty directory in paths"), so launches with the hook, the crash and step tests', started
     * without one.
     */
    private static synchronized Path testHookJar() {
        if (testHookJar == null) {
            try {
                Path jar = Files.createTempFile("test-hook", ".jar");
                jar.toFile().deleteOnExit();
                try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
                    for (Class<?> c : TestStepHook.class.getNestMembers()) {
                        String resource = c.getName().replace('.', '/') + ".class";
                        out.putNextEntry(new JarEntry(resource));
                        try (InputStream in = TestStepHook.class.getClassLoader().getResourceAsStream(resource)) {
                            in.transferTo(out);
                        }
                        out.closeEntry();
                    }
                }
                testHookJar = jar;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return testHookJar;
    }

    /** Per class path form (with or without the test hook): the class-data archive of this test JVM, being made or made. */
    private static final Map<Boolean, CompletableFuture<Optional<Path>>> CLASS_ARCHIVES = new HashMap<>();

    /**
     * A dynamic class-data sharing (AppCDS) archive of the classes a start-up loads, made once per test JVM and class
     * path form, or null while it is being made, when {@code -Dpackaged.class-archive=false}, or when the JVM could not
     * make one. A launch that maps it parses and verifies about 4,000 fewer classes: about a sixth less start-up CPU,
     * measured per launch (see docs/development.md), for the hundreds of launches of the packaged-jar tests. What runs
     * is the same bytecode; an archive only holds classes as loaded from the same jars. It is made in the background
     * (no test waits for it; launches before it is ready start without one) by a launch of its own (a {@code scan}
     * against closed ports, which touches nothing and loads configuration, JDBC and storage clients), never by a
     * test's launch: making one prints JVM warnings and slows that process's exit. The archive must be used with the
     * class path it was made with (else the JVM warns and ignores it), hence one per form.
     */
    private static synchronized Path classArchive(boolean withTestHook) {
        if (!Boolean.parseBoolean(System.getProperty("packaged.class-archive", "true"))) {
            return null;
        }
        CompletableFuture<Optional<Path>> archive = CLASS_ARCHIVES.computeIfAbsent(withTestHook,
                form -> CompletableFuture.supplyAsync(() -> makeClassArchive(form), task -> {
                    Thread thread = new Thread(task, "class-archive");
                    thread.setDaemon(true);
                    thread.start();
                }));
        return archive.isDone() ? archive.join().orElse(null) : null;
    }

    private static Optional<Path> makeClassArchive(boolean withTestHook) {
        try {
            Path dir = Files.createTempDirectory("packaged-cds");
            dir.toFile().deleteOnExit();
            Path archive = dir.resolve(withTestHook ? "with-test-hook.jsa" : "production.jsa");
            archive.toFile().deleteOnExit();
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Xlog:cds*=off", "-XX:ArchiveClassesAtExit=" + archive));
            if (withTestHook) {
                command.addAll(List.of("-cp", testHookJar() + File.pathSeparator + jar(), ENTRY_POINT));
            } else {
                command.addAll(List.of("-jar", jar().toString()));
            }
            command.add("scan");
            Path log = dir.resolve("archive.log");
            log.toFile().deleteOnExit();
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            withoutInheritedSettings(pb.environment());
            String closed = "127.0.0.1";
            pb.environment().putAll(Map.of("LANG", "C.UTF-8", "DB_HOST", closed, "DB_PORT", "1", "DB_USERNAME", "nobody",
                    "DB_PASSWORD", "none", "DB_DATABASE", "dify_plugin", "STORAGE_TYPE", "s3", "S3_ENDPOINT", "http://" + closed + ":1",
                    "S3_BUCKET_NAME", "none", "S3_USE_AWS", "false"));
            Process p = pb.start();
            // Seconds on an idle machine; generous, since nothing waits for it.
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
            if (Files.isRegularFile(archive) && Files.size(archive) > 0) {
                return Optional.of(archive);
            }
            // Why not, so that a lost archive (and its cost in every launch) shows in the test log.
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            System.err.println("PackagedApp: the class-data archive launch (" + (withTestHook ? "with" : "without")
                    + " the test hook) said: " + String.join(" | ", lines.subList(Math.max(0, lines.size() - 3), lines.size())));
        } catch (IOException e) {
            // no archive: launches start without one, as they did before
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.err.println("PackagedApp: no class-data archive could be made; packaged launches start without one");
        return Optional.empty();
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: run `./mvnw package` (or `verify`) first");
        }
        return jar;
    }

    public static ProcessBuilder builder(Map<String, String> env, List<String> jvmOptions, String... args) {
        return builder(setsTestProperty(env, jvmOptions), env, jvmOptions, args);
    }

    private static ProcessBuilder builder(boolean withTestHook, Map<String, String> env, List<String> jvmOptions,
            String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Test runs are short: the C1 compiler alone starts them with about a third less CPU (measured with
        // /usr/bin/time on `breaker status`), which matters on a 2-core CI machine. Behaviour is the same.
        command.add("-XX:TieredStopAtLevel=1");
        Path archive = classArchive(withTestHook);
        if (archive != null) {
            command.add("-XX:SharedArchiveFile=" + archive);
        }
        command.addAll(jvmOptions);
        if (withTestHook) {
            // What `java -jar` does (the jar's manifest names its boot class path and main class), with the hook first.
            command.add("-cp");
            command.add(testHookJar() + File.pathSeparator + jar());
            command.add(ENTRY_POINT);
        } else {
            command.add("-jar");
            command.add(jar().toString());
        }
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        Map<String, String> environment = pb.environment();
        withoutInheritedSettings(environment);
        environment.put("LANG", "C.UTF-8");
        environment.putAll(env);
        return pb;
    }

    /**
     * Removes from {@code environment} every variable that configures the application or its JVM from outside the
     * test: the daemon's settings (database, storage, Redis), ours, and JVM options ({@code JAVA_TOOL_OPTIONS} and
     * friends would also print "Picked up …" into the output tests read).
     */
    private static final List<String> DAEMON_AND_OUR_PREFIXES = List.of("DB_", "PLUGIN_", "S3_", "AWS_", "AZURE_BLOB_",
            "GCS_", "ALIYUN_OSS_", "TENCENT_COS_", "HUAWEI_OBS_", "VOLCENGINE_TOS_", "BAIDU_BOS_", "RECONCILER_", "REDIS_");

    static void withoutInheritedSettings(Map<String, String> environment) {
        environment.keySet().removeIf(k -> DAEMON_AND_OUR_PREFIXES.stream().anyMatch(k::startsWith) || k.endsWith("_PATH")
                || k.equals("STORAGE_EMULATOR_HOST") || InheritedEnvironment.JVM_OPTIONS.contains(k));
    }

    /**
     * A started application, for tests that act while it runs (e.g. stop a server while it is paused at a step,
     * see {@link PausedStep}); {@link #await} collects its outcome.
     */
    public static final class Running {
        private final Process process;
        private final Path out;
        private final Path err;
        private final List<String> command;
        private final long started = System.nanoTime();

        private Running(Process process, Path out, Path err, List<String> command) {
            this.process = process;
            this.out = out;
            this.err = err;
            this.command = command;
        }

        /** Waits for the end; fails (and kills the process) when it takes longer than {@code timeout}. */
        public Outcome await(Duration timeout) throws IOException, InterruptedException {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("the application did not finish within " + timeout + "; its output so far:\n"
                            + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
                }
                LaunchTimes.record(command, started);
                return new Outcome(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                        Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        }
    }

    /** Starts {@code args} and returns at once; the caller must {@link Running#await} it. */
    public static Running start(Map<String, String> env, String... args) throws IOException {
        Path out = Files.createTempFile("app-out", ".txt");
        Path err = Files.createTempFile("app-err", ".txt");
        ProcessBuilder builder = builder(env, List.of("-Xmx256m"), args);
        Process p = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Running(p, out, err, builder.command());
    }

    /**
     * Runs {@code args} as production does ({@code java -jar}, no test hook on the class path), whatever
     * {@code JAVA_TOOL_OPTIONS} says.
     */
    public static Outcome runWithoutTestHook(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(builder(false, env, List.of("-Xmx256m"), args), null);
    }

    /** Runs {@code args} to completion (at most two minutes) and captures both streams. */
    public static Outcome run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(env, (Path) null, args);
    }

    /** Like {@link #run(Map, String...)}, with standard output sent to {@code stdout} (e.g. /dev/full) when not null. */
    public static Outcome run(Map<String, String> env, Path stdout, String... args) throws IOException, InterruptedException {
        return run(builder(env, List.of("-Xmx256m"), args), stdout);
    }

    /** Like {@link #run(Map, String...)}, with more JVM options (e.g. {@link StartedThreads#jvmOptions()}). */
    public static Outcome run(Map<String, String> env, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        options.addAll(jvmOptions);
        return run(builder(env, options, args), null);
    }

    private static Outcome run(ProcessBuilder builder, Path stdout) throws IOException, InterruptedException {
        Path out = Files.createTempFile("app-out", ".txt");
        Path err = Files.createTempFile("app-err", ".txt");
        try {
            long started = System.nanoTime();
            Process p = builder.redirectOutput((stdout != null ? stdout : out).toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the application did not finish within two minutes");
            }
            LaunchTimes.record(builder.command(), started);
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
