package dify.reconciler.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Stops a test server that runs as a process of its own (S3Proxy, Azurite) and deletes its folder when this JVM ends,
 * however it ends. Shutdown hooks do it when the JVM exits normally, but a JVM killed outright (Surefire's fork halts
 * itself when Maven goes away) left the server running, orphaned, with its folder in {@code /tmp}. The watchdog is a
 * shell whose stdin is a pipe from this JVM, which the kernel closes with the process; the PostgreSQL servers have
 * their own ({@link PostgresLeftovers#watchdog}), which stops a postmaster the way it wants to be stopped.
 */
final class ServerWatchdog {

    /**
     * Runs when its stdin closes: signals {@code $1} if it is still the process that started at {@code $2} (field 22 of
     * {@code /proc/<pid>/stat}, so a pid the kernel has since given to another process is left alone), waits up to 10 s,
     * kills it, then deletes every further argument.
     */
    private static final String SCRIPT = "cat > /dev/null\n"
            + "pid=$1; started=$2; signal=$3; shift 3\n"
            + "alive() { [ \"$(sed 's/^.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20)\" = \"$started\" ]; }\n"
            + "if alive; then\n"
            + "  kill -$signal $pid 2>/dev/null\n"
            + "  i=0; while [ $i -lt 20 ] && alive; do sleep 0.5; i=$((i+1)); done\n"
            + "  alive && kill -KILL $pid 2>/dev/null\n"
            + "fi\n"
            + "rm -rf \"$@\"\n";

    private ServerWatchdog() {
    }

    /**
     * Starts the watchdog of {@code server} and {@code folders}. The caller keeps the returned process reachable while
     * the server runs (a collected {@link Process} closes its pipe, and the watchdog would act at once) and
     * {@link #release}s it once it stopped the server and deleted the folders itself.
     */
    static Process start(ProcessHandle server, String signal, List<Path> folders) {
        List<String> command = new ArrayList<>(List.of("sh", "-c", SCRIPT, "server-watchdog", Long.toString(server.pid()),
                startTime(server.pid()), signal));
        folders.forEach(f -> command.add(f.toString()));
        try {
            return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the watchdog of process " + server.pid(), e);
        }
    }

    /** Waits until a server answers; throws when it does not. */
    @FunctionalInterface
    interface ReadyCheck {
        void await() throws IOException;
    }

    /**
     * Starts the watchdog of a server process just started, then waits until the server is ready; if it is not, the
     * watchdog is released (it stops what started and deletes the folders) and the failure is rethrown.
     */
    static Process startAndAwait(Process server, List<Path> folders, ReadyCheck ready) throws IOException {
        Process watchdog = start(server.toHandle(), "TERM", folders);
        try {
            ready.await();
        } catch (IOException | RuntimeException e) {
            release(watchdog);
            throw e;
        }
        return watchdog;
    }

    /** Lets the watchdog act now (stop the server if it still runs, delete the folders) and end. */
    static void release(Process watchdog) {
        if (watchdog != null) {
            PostgresLeftovers.release(watchdog);
        }
    }

    /** The process' start time in clock ticks since boot; "unknown" (never matched) when it cannot be read. */
    private static String startTime(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count from the last ") ".
            String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).trim().split(" ");
            return fields[19];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }
}
