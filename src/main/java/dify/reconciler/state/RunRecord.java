package dify.reconciler.state;

import java.time.Instant;
import java.util.Map;

/**
 * One completed scan as remembered across restarts: when, how it ended, its counts (null for a failed run,
 * whose partial numbers are not a verdict) and what it read.
 *
 * @param result        {@code success} or {@code failure}
 * @param total         number of findings; null for a failed run
 * @param bySeverity    count per severity label; empty for a failed run
 * @param byKind        count per kind label; empty for a failed run
 * @param rowsScanned   rows read per table
 * @param objectsListed objects listed per prefix label
 */
public record RunRecord(
        String runId,
        Instant startedAt,
        Instant finishedAt,
        String result,
        String failedPhase,
        String error,
        Long total,
        Map<String, Long> bySeverity,
        Map<String, Long> byKind,
        Map<String, Long> rowsScanned,
        Map<String, Long> objectsListed) {

    public boolean succeeded() {
        return "success".equals(result);
    }
}
