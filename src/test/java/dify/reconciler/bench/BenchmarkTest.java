package dify.reconciler.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dify.reconciler.catalog.FindingKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The benchmark's verdict on a run: figures count only when exactly the planted drift was found. */
class BenchmarkTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A report whose summary.byKind lists every kind, with the planted counts plus {@code changes}. */
    private static ObjectNode report(Map<String, Long> changes) {
        ObjectNode doc = JSON.createObjectNode();
        ObjectNode byKind = doc.putObject("summary").putObject("byKind");
        for (FindingKind k : FindingKind.values()) {
            byKind.put(k.label(), Benchmark.EXPECTED.getOrDefault(k.label(), 0L));
        }
        changes.forEach(byKind::put);
        return doc;
    }

    @Test
    void plantsBothRefersKinds() {
        assertEquals(3L, Benchmark.EXPECTED.get("refers_drift"));
        assertEquals(1L, Benchmark.EXPECTED.get("refers_too_low"));
    }

    @Test
    void acceptsExactlyThePlantedDrift() {
        assertEquals(List.of(), Benchmark.mismatches(report(Map.of()).path("summary").path("byKind")));
        new Benchmark().checkFindings("one-shot local", report(Map.of()));
    }

    @Test
    void failsOnAPlantedDriftMissedOrOverCounted() {
        assertEquals(List.of("refers_too_low=0 (planted 1)"),
                Benchmark.mismatches(report(Map.of("refers_too_low", 0L)).path("summary").path("byKind")));
        assertEquals(List.of("refers_drift=4 (planted 3)"),
                Benchmark.mismatches(report(Map.of("refers_drift", 4L)).path("summary").path("byKind")));
        Benchmark.MismatchException e = assertThrows(Benchmark.MismatchException.class,
                () -> new Benchmark().checkFindings("one-shot local", report(Map.of("package_missing", 1L))));
        assertTrue(e.getMessage().contains("package_missing=1 (planted 2)"), e.getMessage());
    }

    @Test
    void failsOnDriftThatWasNotPlanted() {
        assertEquals(List.of("plugin_unreferenced=2 (planted 0)"),
                Benchmark.mismatches(report(Map.of("plugin_unreferenced", 2L)).path("summary").path("byKind")));
    }

    @Test
    void failsOnAReportWithoutCountsByKind() {
        assertThrows(Benchmark.MismatchException.class,
                () -> new Benchmark().checkFindings("service local", JSON.createObjectNode()));
    }

    @Test
    void checksEveryYardstickCheckIncludingOnesItDidNotPrint() {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String check : Benchmark.YARDSTICK_CHECKS) {
            counts.put(check, Benchmark.EXPECTED.get(check));
        }
        assertEquals(List.of(), Benchmark.yardstickMismatches(counts));
        counts.remove("refers_too_low");
        assertEquals(List.of("refers_too_low=null (planted 1)"), Benchmark.yardstickMismatches(counts));
    }
}
