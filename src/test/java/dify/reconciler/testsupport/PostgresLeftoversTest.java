package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Test runs leave no {@code dify-reconciler-pg-*} folder in {@code /tmp}: a JVM killed outright (as Surefire's fork halts
 * itself when Maven goes away) takes its server and folder with it; and the folders earlier runs left are swept, never
 * one a running postmaster uses, nor one too young to be nobody's.
 */
class PostgresLeftoversTest {

    @TempDir
    Path tmp;

    @Test
    void sweepsTheFoldersNoServerUsesAndKeepsALiveServersAndAYoungOne() throws IOException {
        Instant twoHoursAgo = Instant.now().minus(Duration.ofHours(2));
        Path dead = folder("dify-reconciler-pg-1dead", "99999999", twoHoursAgo); // above Linux's pid_max: no such process
        Path noPid = folder("dify-reconciler-pg-2nopid", null, twoHoursAgo);
        Path live = folder("dify-reconciler-pg-3live", Long.toString(EmbeddedPostgres.shared().postmasterPid()), twoHoursAgo);
        Path young = folder("dify-reconciler-pg-4young", null, Instant.now());
        Path other = folder("something-else", null, twoHoursAgo);

        List<Path> swept = PostgresLeftovers.sweep(tmp, PostgresLeftovers.UNUSED_FOR);

        assertEquals(List.of(dead, noPid), swept.stream().sorted().toList());
        for (Path gone : List.of(dead, noPid)) {
            assertFalse(Files.exists(gone), gone + " and its files: " + listing());
            assertFalse(Files.exists(gone.resolveSibling(gone.getFileName() + ".pw")), listing());
            assertFalse(Files.exists(gone.resolveSibling(gone.getFileName() + ".log")), listing());
        }
        for (Path kept : List.of(live, young, other)) {
            assertTrue(Files.exists(kept.resolve("PG_VERSION")), kept + ": " + listing());
            assertTrue(Files.exists(kept.resolveSibling(kept.getFileName() + ".log")), listing());
        }
    }

    @Test
    void aKilledJvmTakesItsServerAndItsFolderWithIt() throws Exception {
        Process jvm = ChildJvm.start(KilledJvmServer.class);
        Optional<ProcessHandle> postmaster = Optional.empty();
        Path logFile = null;
        try {
            String started = ChildJvm.startedLine(jvm, Duration.ofSeconds(180));
            assertNotNull(started, "the JVM did not start its server");
            String[] parts = started.split(" ", 3);
            postmaster = ProcessHandle.of(Long.parseLong(parts[1]));
            logFile = Path.of(parts[2]);
            Path data = dataFolder(logFile);
            assertTrue(postmaster.isPresent() && Files.isDirectory(data), "precondition: the server runs in " + data);

            jvm.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs

            long pid = Long.parseLong(parts[1]);
            Path log = logFile;
            Await.until("end of the postmaster and its folder, its JVM killed", Duration.ofSeconds(60),
                    () -> postmaster(pid).isEmpty() && !Files.exists(data) && !Files.exists(log));
        } finally {
            jvm.destroyForcibly();
            // Whatever a failure left: no orphaned server, no folder.
            postmaster.filter(ProcessHandle::isAlive).ifPresent(ProcessHandle::destroyForcibly);
            if (logFile != null) {
                Path data = dataFolder(logFile);
                postmaster.ifPresent(p -> p.onExit().join());
                if (Files.exists(data)) {
                    try (var walk = Files.walk(data)) {
                        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                    }
                }
                Files.deleteIfExists(logFile);
                Files.deleteIfExists(data.resolveSibling(data.getFileName() + ".pw"));
            }
        }
    }

    private static Optional<ProcessHandle> postmaster(long pid) {
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
    }

    private static Path dataFolder(Path logFile) {
        String name = logFile.getFileName().toString();
        return logFile.resolveSibling(name.substring(0, name.length() - ".log".length()));
    }

    /** A data folder as EmbeddedPostgres leaves it, with its .pw and .log, last changed at {@code changed}. */
    private Path folder(String name, String postmasterPid, Instant changed) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        Files.writeString(dir.resolve("PG_VERSION"), "17\n");
        if (postmasterPid != null) {
            Files.writeString(dir.resolve("postmaster.pid"), postmasterPid + "\n" + dir + "\n");
        }
        Files.writeString(tmp.resolve(name + ".pw"), "pw\n");
        Files.writeString(tmp.resolve(name + ".log"), "log\n");
        Files.setLastModifiedTime(dir, FileTime.from(changed));
        return dir;
    }

    private String listing() throws IOException {
        try (var files = Files.list(tmp)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().toString();
        }
    }
}
