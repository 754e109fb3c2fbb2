package dify.reconciler.remediate.guard;

import java.time.Instant;

/**
 * One trip of the breaker: when, which guard and why, for which plan and run, on which instance; and, once
 * acknowledged, when, by whom and why. Unacknowledged events keep the breaker tripped.
 */
public record BreakerEvent(long id, Instant trippedAt, String guard, String detail, String planId, String runId, String instance,
        Instant ackedAt, String ackedBy, String ackReason) {

    public boolean acknowledged() {
        return ackedAt != null;
    }
}
