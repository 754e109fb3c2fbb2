package dify.reconciler.remediate;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The decision alone ({@link DailyPurge#due}): leader, armed and recordable, and a full day since the last purge. */
class DailyPurgeDecisionTest {

    private static final Instant LAST = Instant.parse("2026-01-01T03:00:00Z");

    @Test
    void dueOnlyForARecordingArmedLeaderAndOnlyOnceADay() {
        Instant dayLater = LAST.plus(Duration.ofDays(1));
        assertTrue(DailyPurge.due(LAST, null, true, true, null), "never purged: due at once");
        assertTrue(DailyPurge.due(dayLater, LAST, true, true, null), "a day since the last");
        assertFalse(DailyPurge.due(dayLater.minusNanos(1), LAST, true, true, null), "not quite a day");
        assertFalse(DailyPurge.due(dayLater, null, true, false, null), "a follower never");
        assertFalse(DailyPurge.due(dayLater, null, false, true, null), "unarmed never");
        assertFalse(DailyPurge.due(dayLater, null, true, true, "state is in memory"), "unrecordable never");
    }
}
