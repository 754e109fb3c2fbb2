package dify.reconciler.testhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;

/**
 * TEST ONLY, never in the production artifact: what {@code dify.reconciler.remediate.write.StepHook} calls at each step
 * boundary when this class is on the system class path ({@code PackagedApp} puts it there for a packaged run that
 * sets one of these properties; in Surefire the test classes are there already). It uses only JDK types: the system
 * class loader that loads it cannot see the application's classes.
 * <ul>
 * <li>{@code dify.reconciler.test.halt-at=<step>} halts the JVM there, the way SIGKILL would (no shutdown hooks, no
 * finally blocks), to prove recovery right;</li>
 * <li>{@code dify.reconciler.test.pause-at=<step>} with {@code dify.reconciler.test.pause-dir=<dir>} writes
 * {@code <dir>/<step>.reached} there and waits until the test creates {@code <dir>/<step>.resume} (at most
 * {@link #LONGEST_PAUSE}), so a test can stop a server or run the daemon's install between two steps. Files, not
 * callbacks: the same hook works in a packaged jar driven by another process. Step names contain ':', which the
 * files name with '_'.</li>
 * </ul>
 * Both may be set at once: a run can pause at one step and halt at a later one.
 * <p>
 * In process, {@link #interruptAt} stops only the calling thread's remediation at a step, with an {@link Interrupted}
 * error: the appliers catch exceptions, never errors, so nothing of theirs runs after the step (no audit, no
 * forgetting, no completion), and the records and the bucket are what a kill there leaves; other tests in the JVM
 * are not affected.
 */
public final class TestStepHook implements Consumer<String> {

    public static final String HALT_PROPERTY = "dify.reconciler.test.halt-at";
    public static final String PAUSE_PROPERTY = "dify.reconciler.test.pause-at";
    public static final String PAUSE_DIR_PROPERTY = "dify.reconciler.test.pause-dir";

    /** What {@code kill -9} leaves as exit status (128 + 9). */
    public static final int HALT_STATUS = 137;

    /** A test that never resumes must not hang the build: the step then goes on. */
    static final Duration LONGEST_PAUSE = Duration.ofMinutes(3);

    /** The step at which this thread's remediation is interrupted ({@link #interruptAt}); null for none. */
    private static final ThreadLocal<String> INTERRUPT_AT = new ThreadLocal<>();

    /** What this thread's remediation runs when it reaches a step ({@link #runAt}); null for none. */
    private static final ThreadLocal<Map.Entry<String, Runnable>> RUN_AT = new ThreadLocal<>();

    /** Thrown at the step {@link #interruptAt} named: an error, so no catch of the appliers takes it. */
    public static final class Interrupted extends Error {
        private static final long serialVersionUID = 1L;

        Interrupted(String step) {
            super("interrupted at step " + step);
        }
    }

    /** An interruption set for the calling thread, until closed. */
    public interface Interruption extends AutoCloseable {
        @Override
        void close();
    }

    /** Until closed, the calling thread's remediation is interrupted when it reaches {@code step}. */
    public static Interruption interruptAt(String step) {
        INTERRUPT_AT.set(step);
        return INTERRUPT_AT::remove;
    }

    /**
     * Until closed, the calling thread's remediation runs {@code action} when it reaches {@code step}, before going on
     * (or being interrupted there): what another process does between two steps, such as the daemon starting an install.
     */
    public static Interruption runAt(String step, Runnable action) {
        RUN_AT.set(Map.entry(step, action));
        return RUN_AT::remove;
    }

    @Override
    public void accept(String step) {
        Map.Entry<String, Runnable> run = RUN_AT.get();
        if (run != null && run.getKey().equals(step)) {
            run.getValue().run();
        }
        if (step.equals(INTERRUPT_AT.get())) {
            throw new Interrupted(step);
        }
        String haltAt = System.getProperty(HALT_PROPERTY);
        if (haltAt != null && haltAt.equals(step)) {
            // stderr, not the logger: the JVM halts at once, an asynchronous log handler might never flush
            System.err.println("test hook: halting at step " + step);
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
        String pauseAt = System.getProperty(PAUSE_PROPERTY);
        String pauseDir = System.getProperty(PAUSE_DIR_PROPERTY);
        if (pauseAt != null && pauseDir != null && pauseAt.equals(step)) {
            pause(Path.of(pauseDir), step);
        }
    }

    /** The file a paused step writes when it reaches {@code step}. */
    public static Path reachedFile(Path dir, String step) {
        return dir.resolve(step.replace(':', '_') + ".reached");
    }

    /** The file that lets a paused step go on. */
    public static Path resumeFile(Path dir, String step) {
        return dir.resolve(step.replace(':', '_') + ".resume");
    }

    private static void pause(Path dir, String step) {
        Path resume = resumeFile(dir, step);
        try {
            Files.createDirectories(dir);
            Files.writeString(reachedFile(dir, step), step);
            System.err.println("test hook: paused at step " + step + " until " + resume + " exists");
            System.err.flush();
            Instant giveUp = Instant.now().plus(LONGEST_PAUSE);
            while (!Files.exists(resume) && Instant.now().isBefore(giveUp)) {
                Thread.sleep(20);
            }
            // consumed, so the same step pauses again the next time it is reached
            Files.deleteIfExists(resume);
            Files.deleteIfExists(reachedFile(dir, step));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
