package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Keeps {@code /tmp} free of {@link EmbeddedPostgres} data folders ({@code dify-reconciler-pg-*} with their {@code .pw}
 * and {@code .log} files). Shutdown hooks delete them when a JVM exits normally, but not when it is killed: Surefire's
 * fork halts itself when Maven goes away (a build stopped or timed out), and a fork that overruns its exit timeout is
 * halted mid-hook; the postmaster then runs on, orphaned, with its folder. Two parts:
 * <ul>
 * <li>{@link #watchdog}: a shell that waits for this JVM to end, however it ends (its stdin is a pipe from the JVM, which
 * the kernel closes with the process), then stops the folder's postmaster and deletes the folder.
 * <li>{@link #sweep}: at the first start of a server in a JVM, deletes the folders no server uses (no running postmaster
 * in {@code postmaster.pid}) that have not changed for a while (a folder younger than that may be another JVM's initdb
 * in progress, or a dedicated server a test stopped for a moment). Never the folder of a running postmaster.
 * </ul>
 */
final class PostgresLeftovers {

    static final String PREFIX = "dify-reconciler-pg-";

    /** A folder unchanged this long without a running postmaster is nobody's (initdb and a start take seconds). */
    static final Duration UNUSED_FOR = Duration.ofHours(1);

    /**
     * Runs when its stdin closes (this JVM ended): fast shutdown of the postmaster in {@code $1/postmaster.pid} if it is
     * still a postgres process (30 s, then killed), then {@code rm -rf} of every argument.
     */
    private static final String WATCHDOG = "cat > /dev/null\n"
            + "pid=$(head -n 1 \"$1/postmaster.pid\" 2>/dev/null)\n"
            + "if [ -n \"$pid\" ] && [ \"$(cat /proc/$pid/comm 2>/dev/null)\" = postgres ]; then\n"
            + "  kill -INT \"$pid\"\n"
            + "  i=0; while [ $i -lt 60 ] && kill -0 \"$pid\" 2>/dev/null; do sleep 0.5; i=$((i+1)); done\n"
            + "  kill -KILL \"$pid\" 2>/dev/null && sleep 1\n"
            + "fi\n"
            + "rm -rf \"$@\"\n";

    private PostgresLeftovers() {
    }

    /**
     * Starts the watchdog of {@code dataDirectory} and {@code files}. The caller keeps the returned process reachable
     * while the server may run (a collected {@link Process} closes its pipe, and the watchdog would act at once), and
     * {@link #release}s it once it deleted the folder itself.
     */
    static Process watchdog(Path dataDirectory, List<Path> files) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", WATCHDOG, "pg-watchdog", dataDirectory.toString()));
        files.forEach(f -> command.add(f.toString()));
        try {
            return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the watchdog of " + dataDirectory, e);
        }
    }

    /** Lets the watchdog act now (stop what still runs in its folder, delete it) and end. */
    static void release(Process watchdog) {
        try {
            watchdog.getOutputStream().close();
        } catch (IOException e) {
            // it ends with this JVM then
        }
    }

    /**
     * Deletes every {@code dify-reconciler-pg-*} folder in {@code tmp} (with its {@code .pw} and {@code .log}) that has no
     * running postmaster and has not changed for {@code unusedFor}; returns the folders deleted.
     */
    static List<Path> sweep(Path tmp, Duration unusedFor) {
        List<Path> swept = new ArrayList<>();
        Instant changedBefore = Instant.now().minus(unusedFor);
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(tmp, PREFIX + "*")) {
            for (Path folder : folders) {
                if (!Files.isDirectory(folder) || runningPostmaster(folder).isPresent()
                        || Files.getLastModifiedTime(folder).toInstant().isAfter(changedBefore)) {
                    continue;
                }
                deleteRecursively(folder);
                Files.deleteIfExists(folder.resolveSibling(folder.getFileName() + ".pw"));
                Files.deleteIfExists(folder.resolveSibling(folder.getFileName() + ".log"));
                swept.add(folder);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort: a folder that cannot be read or deleted now is tried again at the next start.
        }
        return swept;
    }

    /**
     * The postgres process of {@code dataDirectory}'s {@code postmaster.pid}, if it runs. A process whose command cannot
     * be read counts as running: a folder is deleted only when its server is certainly gone.
     */
    static Optional<ProcessHandle> runningPostmaster(Path dataDirectory) throws IOException {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        List<String> lines = Files.readAllLines(pidFile);
        long pid;
        try {
            pid = Long.parseLong(lines.isEmpty() ? "" : lines.get(0).trim());
        } catch (NumberFormatException e) {
            return Optional.empty(); // half written by a postmaster that died starting
        }
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(true));
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path each : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(each);
            }
        }
    }
}
