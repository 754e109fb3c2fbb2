package dify.reconciler.run;

import dify.reconciler.report.ScanPhase;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Times the phases of one scan and knows which one is running, so a failure names its phase. A phase may
 * be timed in several steps (the database phase is interrupted by detection); its durations add up.
 * Not thread-safe: one scan, one clock.
 */
final class PhaseClock {

    /** Work of a phase that returns a value. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws SQLException;
    }

    /** Work of a phase that returns nothing. */
    @FunctionalInterface
    interface Step {
        void run() throws SQLException;
    }

    private final Map<String, Duration> durations = new LinkedHashMap<>();
    private ScanPhase current = ScanPhase.DATABASE;

    /**
     * Runs {@code work} as (part of) {@code phase} and adds the time it took to that phase. A phase that throws
     * records no duration: the report of a failed scan times only the phases that completed (and the total).
     */
    <T> T time(ScanPhase phase, Work<T> work) throws SQLException {
        current = phase;
        long start = System.nanoTime();
        T result = work.run();
        durations.merge(phase.label(), Duration.ofNanos(System.nanoTime() - start), Duration::plus);
        return result;
    }

    void time(ScanPhase phase, Step step) throws SQLException {
        time(phase, () -> {
            step.run();
            return null;
        });
    }

    /** The phase running now, or the last one that ran (the one a failure happened in). */
    ScanPhase current() {
        return current;
    }

    /** Time per phase label, in the order the phases first ran. */
    Map<String, Duration> durations() {
        return Collections.unmodifiableMap(durations);
    }
}
