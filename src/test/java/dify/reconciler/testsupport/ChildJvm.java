package dify.reconciler.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A JVM of this test class path running one main class, which tests kill to see what it leaves behind. */
final class ChildJvm {

    private ChildJvm() {
    }

    /** Starts {@code mainClass} in a new JVM; its standard output is read with {@link #startedLine}. */
    static Process start(Class<?> mainClass) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), mainClass.getName())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** The first line of {@code jvm}'s output that starts with "started ", or null if it ends or takes longer than {@code timeout}. */
    static String startedLine(Process jvm, Duration timeout) throws InterruptedException, ExecutionException {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        if (line.startsWith("started ")) {
                            return line;
                        }
                    }
                    return null;
                } catch (IOException e) {
                    return null;
                }
            }).get(timeout.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            return null;
        }
    }
}
