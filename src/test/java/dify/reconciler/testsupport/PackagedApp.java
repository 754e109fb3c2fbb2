package dify.reconciler.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the packaged application ({@code target/quarkus-app/quarkus-run.jar}) as a separate JVM with a
 * given environment, the way a Kubernetes Job or CI step does. The environment starts empty of the
 * daemon's variables, so a test says exactly what the process sees.
 */
public final class PackagedApp {

    public record Outcome(int exitCode, String stdout, String stderr) {
    }

    private PackagedApp() {
    }

    public static Path jar() {
        Path jar = Path.of(System.getProperty("app.jar", "target/quarkus-app/quarkus-run.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: run `./mvnw package` (or `verify`) first");
        }
        return jar;
    }

    public static ProcessBuilder builder(Map<String, String> env, List<String> jvmOptions, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Test runs are short: the C1 compiler alone starts them with about a third less CPU (measured with
        // /usr/bin/time on `breaker status`), which matters on a 2-core CI machine. Behaviour is the same.
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(jar().toString());
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
    static void withoutInheritedSettings(Map<String, String> environment) {
        environment.keySet().removeIf(k -> k.startsWith("DB_") || k.startsWith("PLUGIN_") || k.startsWith("S3_")
                || k.startsWith("AWS_") || k.startsWith("RECONCILER_") || k.startsWith("REDIS_") || k.endsWith("_PATH")
                || InheritedEnvironment.JVM_OPTIONS.contains(k));
    }

    /**
     * A started application, for tests that act while it runs (e.g. stop a server while it is paused at a step,
     * see {@link PausedStep}); {@link #await} collects its outcome.
     */
    public static final class Running {
        private final Process process;
        private final Path out;
        private final Path err;

        private Running(Process process, Path out, Path err) {
            this.process = process;
            this.out = out;
            this.err = err;
        }

        /** Waits for the end; fails (and kills the process) when it takes longer than {@code timeout}. */
        public Outcome await(Duration timeout) throws IOException, InterruptedException {
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                    throw new AssertionError("the application did not finish within " + timeout + "; its output so far:\n"
                            + Files.readString(out, StandardCharsets.UTF_8) + Files.readString(err, StandardCharsets.UTF_8));
                }
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
        Process p = builder(env, List.of("-Xmx256m"), args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new Running(p, out, err);
    }

    /** Runs {@code args} to completion (at most two minutes) and captures both streams. */
    public static Outcome run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return run(env, (Path) null, args);
    }

    /** Like {@link #run(Map, String...)}, with standard output sent to {@code stdout} (e.g. /dev/full) when not null. */
    public static Outcome run(Map<String, String> env, Path stdout, String... args) throws IOException, InterruptedException {
        return run(env, stdout, List.of(), args);
    }

    /** Like {@link #run(Map, String...)}, with more JVM options (e.g. {@link StartedThreads#jvmOptions()}). */
    public static Outcome run(Map<String, String> env, List<String> jvmOptions, String... args) throws IOException, InterruptedException {
        return run(env, null, jvmOptions, args);
    }

    private static Outcome run(Map<String, String> env, Path stdout, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("app-out", ".txt");
        Path err = Files.createTempFile("app-err", ".txt");
        List<String> options = new ArrayList<>(List.of("-Xmx256m"));
        options.addAll(jvmOptions);
        try {
            Process p = builder(env, options, args).redirectOutput((stdout != null ? stdout : out).toFile())
                    .redirectError(err.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the application did not finish within two minutes");
            }
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
