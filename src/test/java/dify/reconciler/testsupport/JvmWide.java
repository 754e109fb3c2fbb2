package dify.reconciler.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
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

    /**
     * A server just started to be this JVM's shared one.
     *
     * @param server the instance the starting class loader uses
     * @param process what a shutdown hook stops with {@code stopSignal} (forcibly after 10 s), then deleting
     *        {@code deleteAtExit} (folders with their content)
     * @param attachment what another class loader needs to attach to it (address, data folder; never a password)
     * @param heldUntilExit objects that must stay reachable as long as the server runs (a watchdog's {@link Process},
     *        whose pipe would close if it were collected), whatever becomes of the starting class loader
     */
    record Started<T>(T server, ProcessHandle process, String stopSignal, List<Path> deleteAtExit,
            Map<String, String> attachment, List<Object> heldUntilExit) {

        Started(T server, ProcessHandle process, String stopSignal, List<Path> deleteAtExit, Map<String, String> attachment) {
            this(server, process, stopSignal, deleteAtExit, attachment, List.of());
        }
    }

    /** What another class loader recorded of the shared server it started: {@link Started#attachment()} and its process. */
    static final class Recorded {
        private final String key;

        private Recorded(String key) {
            this.key = key;
        }

        /** A value of the server's {@link Started#attachment()}. */
        String get(String name) {
            String value = JvmWide.get(key + "." + name);
            if (value == null) {
                throw new IllegalStateException("the shared " + key + " recorded no " + name);
            }
            return value;
        }

        /** The server's process, still running. */
        ProcessHandle process() {
            return ProcessHandle.of(Long.parseLong(get("pid")))
                    .orElseThrow(() -> new IllegalStateException("the shared " + key + " has exited"));
        }
    }

    /**
     * The server of this JVM recorded under {@code key}: attached with {@code attach} when any class loader started it,
     * else started now with {@code start}, recorded, and stopped at JVM exit. The caller keeps the result in a static
     * field of its own class loader; this lock and record make it one per JVM.
     */
    static <T> T shared(String key, Supplier<Started<T>> start, Function<Recorded, T> attach) {
        synchronized (lock(key)) {
            if (get(key + ".pid") != null) {
                return attach.apply(new Recorded(key));
            }
            Started<T> started = start.get();
            Runtime.getRuntime().addShutdownHook(new StopAtExit("stop-shared-" + key, started.process(), started.stopSignal(),
                    List.copyOf(started.deleteAtExit()), List.copyOf(started.heldUntilExit())));
            set(key + ".starts", Integer.toString(starts(key) + 1));
            started.attachment().forEach((name, value) -> set(key + "." + name, value));
            set(key + ".pid", Long.toString(started.process().pid())); // last: what attach looks for
            return started.server();
        }
    }

    /** No lambdas and no class outside the JDK in {@link #run()}: it may run after its class loader was closed. */
    private static final class StopAtExit extends Thread {

        private final ProcessHandle process;
        private final String signal;
        private final List<Path> paths;
        /** Only held: a registered hook is reachable until the JVM exits. */
        @SuppressWarnings("unused")
        private final List<Object> held;

        StopAtExit(String name, ProcessHandle process, String signal, List<Path> paths, List<Object> held) {
            super(name);
            this.process = process;
            this.signal = signal;
            this.paths = paths;
            this.held = held;
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
