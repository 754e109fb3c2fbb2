package dify.reconciler.remediate;

import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;

/**
 * The service's daily purge without the scheduler: whether to purge now, and the purge when it is due. A purge
 * deletes quarantined copies that can be the only copy left, so it runs only with the {@link AccessGate}'s
 * {@link Acting} token (the leader of an armed service that can record what it does, no other remediation running),
 * and at most once per {@link #EVERY}: the scheduler may call as often as it likes. Time and the purge are inputs, so
 * a test drives days with its own clock against the real quarantine.
 */
final class DailyPurge {

    static final Duration EVERY = Duration.ofDays(1);

    /** Purges everything quarantined more than the retention before {@code now}; what it purged per store. */
    @FunctionalInterface
    interface Purge {
        List<QuarantinePurge.Result> purgeAsOf(Instant now, Acting acting) throws Exception;
    }

    private final InstantSource clock;
    private final Purge purge;
    private Instant last;

    DailyPurge(InstantSource clock, Purge purge) {
        this.clock = clock;
        this.purge = purge;
    }

    /**
     * Purges if due: the gate let this tick act ({@code access} is {@link Acting}) and a day has passed since this
     * instance's last purge. Empty when not due. A failed purge still counts as the day's (retried tomorrow, not every
     * hour against a failing store); a tick the gate refused or showed only does not.
     */
    synchronized Optional<List<QuarantinePurge.Result>> runIfDue(Access access) throws Exception {
        Instant now = clock.instant();
        if (!(access instanceof Acting acting) || !due(now, last)) {
            return Optional.empty();
        }
        last = now;
        return Optional.of(purge.purgeAsOf(now, acting));
    }

    /** The decision on time alone (whether this process may act is the gate's). */
    static boolean due(Instant now, Instant last) {
        return last == null || Duration.between(last, now).compareTo(EVERY) >= 0;
    }
}
