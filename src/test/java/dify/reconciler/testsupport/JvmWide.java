package dify.reconciler.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Where the test servers that are "one per JVM" ({@link EmbeddedPostgres#shared()}, {@link S3ProxyServer#shared()},
 * {@link AzuriteServer#shared()}) record themselves, so that every class loader of the JVM finds them: each
 * {@code @QuarkusTest} application start loads this package again in a new class loader, where a static field starts
 * out null, and a static field alone started one more server per application start (34 initdb in one CI run's
 * Surefire half instead of 2).
 *
 * <p>What all class loaders share is the JDK: a server's address, data folder and process id are kept as system
 * properties (strings only, and never a password: the credentials are constants of the server classes), and the lock
 * that makes one class loader start a server while the others wait is an interned string, the same object for every
 * class loader. The process that stops a server at JVM exit uses JDK classes only, because the class loader that
 * started the server may be closed by then.
 */
final class JvmWide {

    private static final String PREFIX = "dify.reconciler.testsupport.";

    private JvmWide() {
    }

    /** The one lock object of this JVM for {@code name}, whichever class loader asks. */
    static Object lock(String name) {
        return (PREFIX + name + ".lock").intern();
    }

    /** The value recorded under {@code key} by any class loader of this JVM; null when none was. */
    static String get(String key) {
        return System.getProperty(PREFIX + key);
    }

    static void set(String key, String value) {
        System.setProperty(PREFIX + key, value);
    }

    /** The number of times {@code server} was started as this JVM's shared instance (0, then 1: never more). */
    static int starts(String server) {
        String value = get(server + ".starts");
        return value == null ? 0 : Integer.parseInt(value);
    }

    static void countStart(String server) {
        set(server + ".starts", Integer.toString(starts(server) + 1));
    }

    /**
     * Stops {@code process} at JVM exit ({@code signal}, e.g. {@code INT} for PostgreSQL's fast shutdown, or
     * {@code TERM}; forcibly after 10 s) and then deletes {@code paths} (folders with their content).
     */
    static void stopAtExit(String threadName, ProcessHandle process, String signal, List<Path> paths) {
        Runtime.getRuntime().addShutdownHook(new StopAtExit(threadName, process, signal, List.copyOf(paths)));
    }

    /** No lambdas and no class outside the JDK in {@link #run()}: it may run after its class loader was closed. */
    private static final class StopAtExit extends Thread {

        private final ProcessHandle process;
        private final String signal;
        private final List<Path> paths;

        StopAtExit(String name, ProcessHandle process, String signal, List<Path> paths) {
            super(name);
            this.process = process;
            this.signal = signal;
            this.paths = paths;
        }

        @Override
        public void run() {
            try {
                if (process.isAlive()) {
                    new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).redirectErrorStream(true)
                            .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(10, TimeUnit.SECONDS);
                    process.onExit().get(10, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                process.destroyForcibly();
            }
            for (Path path : paths) {
                if (!Files.exists(path)) {
                    continue;
                }
                try (Stream<Path> walk = Files.walk(path)) {
                    for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(each);
                    }
                } catch (IOException | RuntimeException e) {
                    // best effort at exit
                }
            }
        }
    }
}
