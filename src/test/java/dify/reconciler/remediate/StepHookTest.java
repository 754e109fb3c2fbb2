package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.StepHook;
import dify.reconciler.testsupport.PausedStep;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step hook as the tests use it: the test-only {@code TestStepHook} is on Surefire's class path, so it is active. */
class StepHookTest {

    @TempDir
    Path dir;

    @AfterEach
    void clear() {
        PausedStep.clearSystemProperties();
    }

    @Test
    void aNamedStepWaitsUntilTheTestResumesItAndThenPausesAgainNextTime() throws Exception {
        PausedStep paused = new PausedStep(dir, "quarantine_object:rows-rechecked");
        paused.setSystemProperties();
        for (int round = 0; round < 2; round++) {
            CompletableFuture<Void> step = CompletableFuture.runAsync(() -> StepHook.reached(Step.QUARANTINE_OBJECT_ROWS_RECHECKED));
            paused.awaitReached(Duration.ofSeconds(10));
            Thread.sleep(100);
            assertFalse(step.isDone(), "the step went on before the test resumed it");
            paused.resume();
            step.get(10, TimeUnit.SECONDS);
            assertFalse(paused.isReached(), "the reached marker stays after the step went on");
        }
    }

    @Test
    void anyOtherStepGoesOnAtOnce() throws Exception {
        new PausedStep(dir, "quarantine_object:rows-rechecked").setSystemProperties();
        CompletableFuture.runAsync(() -> StepHook.reached(Step.COPY_OBJECT_ROWS_RECHECKED)).get(5, TimeUnit.SECONDS);
        try (var files = Files.list(dir)) {
            assertTrue(files.findAny().isEmpty(), "a step that was not named wrote a marker");
        }
    }

    @Test
    void inTestsTheHookIsPresentSoTestSettingsAreAccepted() {
        assertTrue(StepHook.testHookPresent(), "the test class path holds " + StepHook.TEST_HOOK_CLASS);
        assertNull(StepHook.refusal(Map.of("dify.reconciler.test.halt-at", "x"), Map.of(), List.of()));
    }

    @Test
    void withoutThePropertiesNothingPauses() throws Exception {
        CompletableFuture.runAsync(() -> StepHook.reached(Step.QUARANTINE_OBJECT_ROWS_RECHECKED)).get(5, TimeUnit.SECONDS);
    }
}
