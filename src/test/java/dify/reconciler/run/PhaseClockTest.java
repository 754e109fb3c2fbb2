package dify.reconciler.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.report.ScanPhase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PhaseClockTest {

    @Test
    void labelsThePhasesAsTheReportAndTheMetricsAlwaysHave() {
        assertEquals(List.of("database", "detect", "storage", "verify", "working_path"),
                List.of(ScanPhase.values()).stream().map(ScanPhase::label).toList());
        assertEquals("total", ScanPhase.TOTAL);
    }

    @Test
    void addsUpAPhaseTimedInSeveralStepsAndKeepsTheOrderTheyFirstRan() throws SQLException {
        PhaseClock clock = new PhaseClock();
        clock.time(ScanPhase.DATABASE, () -> sleep(30));
        String value = clock.time(ScanPhase.DETECT, () -> "detected");
        clock.time(ScanPhase.DATABASE, () -> sleep(30));

        assertEquals("detected", value);
        Map<String, Duration> durations = clock.durations();
        assertEquals(List.of("database", "detect"), List.copyOf(durations.keySet()));
        assertTrue(durations.get("database").compareTo(Duration.ofMillis(60)) >= 0, durations.toString());
        assertTrue(durations.get("detect").compareTo(Duration.ofMillis(30)) < 0, durations.toString());
    }

    @Test
    void namesThePhaseThatFailedAndTimesOnlyThePhasesThatCompleted() throws SQLException {
        PhaseClock clock = new PhaseClock();
        clock.time(ScanPhase.DATABASE, () -> {});
        SQLException failure = new SQLException("bucket gone");

        SQLException thrown = assertThrows(SQLException.class, () -> clock.time(ScanPhase.STORAGE, () -> {
            throw failure;
        }));

        assertSame(failure, thrown);
        assertEquals(ScanPhase.STORAGE, clock.current());
        assertEquals(List.of("database"), List.copyOf(clock.durations().keySet()));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
