package dify.reconciler.testsupport;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A test JVM killed outright (as Surefire's fork halts itself when Maven goes away) takes its S3Proxy and Azurite
 * servers and their folders with it: before, both ran on, orphaned, and their folders stayed in {@code /tmp}.
 */
class ServerWatchdogTest {

    @Test
    void aKilledJvmTakesItsStoreServersAndTheirFoldersWithIt() throws Exception {
        Process jvm = ChildJvm.start(KilledJvmStores.class);
        List<ProcessHandle> servers = new ArrayList<>();
        List<Path> folders = new ArrayList<>();
        try {
            String started = ChildJvm.startedLine(jvm, Duration.ofSeconds(120));
            assertNotNull(started, "the JVM did not start its servers");
            String[] parts = started.split(" ");
            for (int i = 1; i + 1 < parts.length; i += 2) {
                long pid = Long.parseLong(parts[i]);
                servers.add(ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("precondition: process " + pid + " runs")));
                folders.add(Path.of(parts[i + 1]));
            }
            assertTrue(folders.stream().allMatch(Files::isDirectory), "precondition: the folders exist: " + folders);

            jvm.destroyForcibly().waitFor(30, TimeUnit.SECONDS); // SIGKILL: no shutdown hook runs

            Await.until("end of S3Proxy and Azurite and their folders, their JVM killed", Duration.ofSeconds(30),
                    () -> servers.stream().noneMatch(ProcessHandle::isAlive) && folders.stream().noneMatch(Files::exists));
        } finally {
            jvm.destroyForcibly();
            // Whatever a failure left: no orphaned server, no folder.
            servers.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
            for (Path folder : folders) {
                S3ProxyServer.deleteRecursively(folder);
            }
        }
    }
}
