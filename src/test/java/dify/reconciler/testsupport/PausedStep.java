package dify.reconciler.testsupport;

import dify.reconciler.testhook.TestStepHook;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The test's side of the remediation's pause hook ({@link TestStepHook}, {@code dify.reconciler.test.pause-at}): the application
 * writes {@code <dir>/<step>.reached} when it reaches the step and waits for {@code <dir>/<step>.resume}. A test
 * starts the application with {@link #jvmOptions()} (packaged jar) or {@link #setSystemProperties()} (in process),
 * {@link #awaitReached} the step, does what must happen at that moment, then {@link #resume}s.
 */
public final class PausedStep {

    private final Path dir;
    private final String step;

    public PausedStep(Path dir, String step) {
        this.dir = dir;
        this.step = step;
    }

    /** For a packaged jar's {@code JAVA_TOOL_OPTIONS}. */
    public String jvmOptions() {
        return "-D" + TestStepHook.PAUSE_PROPERTY + "=" + step + " -D" + TestStepHook.PAUSE_DIR_PROPERTY + "=" + dir;
    }

    /** The same as {@link #jvmOptions()} as an environment entry. */
    public Map<String, String> environment() {
        return Map.of("JAVA_TOOL_OPTIONS", jvmOptions());
    }

    /** For a test whose application runs in this JVM; undo with {@link #clearSystemProperties()}. */
    public void setSystemProperties() {
        System.setProperty(TestStepHook.PAUSE_PROPERTY, step);
        System.setProperty(TestStepHook.PAUSE_DIR_PROPERTY, dir.toString());
    }

    public static void clearSystemProperties() {
        System.clearProperty(TestStepHook.PAUSE_PROPERTY);
        System.clearProperty(TestStepHook.PAUSE_DIR_PROPERTY);
    }

    /** Waits until the application is paused at the step; fails after {@code timeout}. */
    public void awaitReached(Duration timeout) throws InterruptedException {
        Path reached = TestStepHook.reachedFile(dir, step);
        Instant giveUp = Instant.now().plus(timeout);
        while (!Files.exists(reached)) {
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("the application did not reach step " + step + " within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    /** Whether the application is paused at the step now. */
    public boolean isReached() {
        return Files.exists(TestStepHook.reachedFile(dir, step));
    }

    /** Lets the paused application go on. */
    public void resume() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(TestStepHook.resumeFile(dir, step), "go");
    }
}
