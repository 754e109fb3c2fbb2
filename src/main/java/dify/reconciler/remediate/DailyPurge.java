package dify.reconciler.remediate;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The service's daily purge without the scheduler: whether to purge now, and the purge when it is due. A purge
 * deletes quarantined copies that can be the only copy left, so only the leader of an armed service that can
 * record what it does purges, and at most once per {@link #EVERY}: the scheduler may call as often as it likes.
 * Time and the purge are inputs, so a test drives days with its own clock against the real quarantine.
 */
final class DailyPurge {

    static final Duration EVERY = Duration.ofDays(1);

    /** Purges everything quarantined more than the retention before {@code now}; what it purged per store. */
    @FunctionalInterface
    interface Purge {
        List<QuarantinePurge.Result> purgeAsOf(Instant now) throws Exception;
    }

    private final InstantSource clock;
    private final Purge purge;
    private Instant last;

    DailyPurge(InstantSource clock, Purge purge) {
        this.clock = clock;
        this.purge = purge;
    }

    /**
     * Purges if due: armed, leading, recordable ({@code whyNothingCanBeRecorded} null) and a day since this
     * instance's last purge. Empty when not due. A failed purge still counts as the day's (retried tomorrow, not
     * every hour against a failing store).
     */
    synchronized Optional<List<QuarantinePurge.Result>> runIfDue(boolean armed, boolean leader, String whyNothingCanBeRecorded)
            throws Exception {
        Instant now = clock.instant();
        if (!due(now, last, armed, leader, whyNothingCanBeRecorded)) {
            return Optional.empty();
        }
        last = now;
        return Optional.of(purge.purgeAsOf(now));
    }

    /** The decision alone. */
    static boolean due(Instant now, Instant last, boolean armed, boolean leader, String whyNothingCanBeRecorded) {
        if (!armed || !leader || whyNothingCanBeRecorded != null) {
            return false;
        }
        return last == null || Duration.between(last, now).compareTo(EVERY) >= 0;
    }
}
