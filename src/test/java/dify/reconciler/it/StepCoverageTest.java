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
     * Every step boundary is halted at in {@code .ci/run} (the test above: by exactly one of the three tests, whose default
     * part and sweep part, {@link dify.reconciler.testsupport.Sweep}, together run all its cases). The default suite alone
     * halts the packaged jar at one boundary of each kind at least (a row step, an object step, the put-back, the
     * unreferenced plugin's rows committed before its object moves) and interrupts every object step: in the packaged jar
     * or in process by {@code EveryStoreRecoveryAndPurgeTest}, whose default part interrupts every object step but the
     * put-back (it checks that itself).
     */
    @Test
    void everyKindOfStepBoundaryIsHaltedAtAndEveryObjectStepStoppedAtInTheDefaultSuite() {
        Set<String> halted = new TreeSet<>(ObjectCrashRecoveryIT.DEFAULT_STEPS);
        halted.add(UninstallCrashRecoveryIT.STEP);
        StepBoundariesIT.DEFAULT_STEPS.stream().map(Step::label).forEach(halted::add);
        assertTrue(ObjectCrashRecoveryIT.STEPS.keySet().containsAll(ObjectCrashRecoveryIT.DEFAULT_STEPS));
        assertTrue(StepBoundariesIT.CASES.keySet().containsAll(StepBoundariesIT.DEFAULT_STEPS));

        Map<String, Set<String>> kinds = new TreeMap<>();
        for (Step s : Step.values()) {
            kinds.computeIfAbsent(kind(s), k -> new TreeSet<>()).add(s.label());
        }
        List<String> kindsNotHalted = kinds.entrySet().stream().filter(k -> k.getValue().stream().noneMatch(halted::contains))
                .map(Map.Entry::getKey).toList();
        assertEquals(List.of(), kindsNotHalted, "kinds of step boundary the default suite never halts the packaged jar at");

        Set<String> stopped = new TreeSet<>(halted);
        Arrays.stream(Step.values()).filter(s -> kind(s).equals("object step")).map(Step::label).forEach(stopped::add);
        List<String> missed = Arrays.stream(Step.values()).filter(s -> !kind(s).equals("row step")).map(Step::label)
                .filter(l -> !stopped.contains(l)).sorted().toList();
        assertEquals(List.of(), missed, "object steps the default suite never stops at");
    }

    /**
     * A step boundary's kind: a row step (a halt inside a row transaction not committed), an object step (interrupted
     * in process too), the put-back (needs the daemon to install meanwhile), or the unreferenced plugin's rows committed
     * before its object moves.
     */
    private static String kind(Step step) {
        if (step == Step.QUARANTINE_OBJECT_PUT_BACK) {
            return "put-back";
        }
        String action = step.label().substring(0, step.label().indexOf(':'));
        return switch (action) {
            case "update_row", "quarantine_row" -> "row step";
            case "quarantine_object", "copy_object" -> "object step";
            default -> action;
        };
    }

    private static void cover(Map<String, List<String>> coveredBy, String step, String test) {
        coveredBy.computeIfAbsent(step, s -> new ArrayList<>()).add(test);
    }
}
