package dify.reconciler.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.remediate.write.Step;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every step boundary in the code ({@link Step}: the step hook takes nothing else, so the list cannot drift from the
 * code) is halted at by exactly one packaged-jar test: {@link ObjectCrashRecoveryIT}, {@link UninstallCrashRecoveryIT}
 * or {@link StepBoundariesIT}. A new step fails here until one of them halts at it; a step a test names but the code
 * never reaches fails that test (it expects exit 137 and the hook's "halting at step" line).
 */
class StepCoverageTest {

    @Test
    void everyStepBoundaryIsHaltedAtByExactlyOnePackagedTest() {
        Map<String, List<String>> coveredBy = new TreeMap<>();
        ObjectCrashRecoveryIT.STEPS.keySet().forEach(s -> cover(coveredBy, s, "ObjectCrashRecoveryIT"));
        cover(coveredBy, UninstallCrashRecoveryIT.STEP, "UninstallCrashRecoveryIT");
        StepBoundariesIT.CASES.keySet().forEach(s -> cover(coveredBy, s.label(), "StepBoundariesIT"));

        Set<String> labels = Arrays.stream(Step.values()).map(Step::label).collect(Collectors.toSet());
        List<String> unknown = new ArrayList<>(coveredBy.keySet());
        unknown.removeAll(labels);
        assertEquals(List.of(), unknown, "steps a test names that the code does not have");
        List<String> uncovered = EnumSet.allOf(Step.class).stream().map(Step::label).filter(l -> !coveredBy.containsKey(l))
                .sorted().toList();
        assertEquals(List.of(), uncovered, "steps no packaged test halts at");
        coveredBy.forEach((step, tests) -> assertTrue(tests.size() == 1, step + " is halted at by " + tests));
    }

    /**
     * The default suite alone (without the sweep, {@link dify.reconciler.testsupport.Sweep}) still stops at every step:
     * halted in the packaged jar by the default part of the three tests, or interrupted in process by
     * {@code EveryStoreRecoveryAndPurgeTest}, whose default part interrupts every object step but the put-back (it checks
     * that itself).
     */
    @Test
    void everyStepBoundaryIsStoppedAtInTheDefaultSuite() {
        Set<String> stopped = new TreeSet<>(ObjectCrashRecoveryIT.DEFAULT_STEPS);
        stopped.add(UninstallCrashRecoveryIT.STEP);
        StepBoundariesIT.CASES.keySet().stream().filter(s -> !StepBoundariesIT.SWEEP_ONLY.contains(s)).map(Step::label)
                .forEach(stopped::add);
        Arrays.stream(Step.values()).filter(s -> s != Step.QUARANTINE_OBJECT_PUT_BACK)
                .filter(s -> s.label().startsWith("quarantine_object:") || s.label().startsWith("copy_object:")).map(Step::label)
                .forEach(stopped::add);
        assertTrue(ObjectCrashRecoveryIT.STEPS.keySet().containsAll(ObjectCrashRecoveryIT.DEFAULT_STEPS));
        List<String> missed = Arrays.stream(Step.values()).map(Step::label).filter(l -> !stopped.contains(l)).sorted().toList();
        assertEquals(List.of(), missed, "steps the default suite never stops at");
    }

    private static void cover(Map<String, List<String>> coveredBy, String step, String test) {
        coveredBy.computeIfAbsent(step, s -> new ArrayList<>()).add(test);
    }
}
