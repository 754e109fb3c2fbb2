package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.remediate.acting.AccessGate;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The decision on time alone ({@link DailyPurge#due}): a full day since the last purge. Whether this process may purge
 * at all (leader, armed, recordable, no other remediation running) is the {@link AccessGate}'s ({@code AccessGateTest}).
 */
class DailyPurgeDecisionTest {

    private static final Instant LAST = Instant.parse("2026-01-01T03:00:00Z");

    @Test
    void dueOnlyOnceADay() {
        Instant dayLater = LAST.plus(Duration.ofDays(1));
        assertTrue(DailyPurge.due(LAST, null), "never purged: due at once");
        assertTrue(DailyPurge.due(dayLater, LAST), "a day since the last");
        assertFalse(DailyPurge.due(dayLater.minusNanos(1), LAST), "not quite a day");
    }
}
