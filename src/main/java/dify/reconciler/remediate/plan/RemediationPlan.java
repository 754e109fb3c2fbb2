package dify.reconciler.remediate.plan;

import java.time.Instant;
import java.util.List;

/**
 * What remediation would do now: actions and withheld findings. Made the same way armed or not, and
 * carries no mode: whether it is applied or only shown is decided where it is applied ({@link dify.reconciler.remediate.acting.AccessGate AccessGate}); {@code database} names the
 * database it was made for, so {@code apply} refuses it elsewhere; {@code expiresAt} bounds how stale it may be.
 * {@code withheldTotal} counts every withheld finding, {@code withheld} lists at most a bounded number.
 * {@code guards} lists the guards that stopped the whole plan (then it has no actions); empty when none did.
 */
public record RemediationPlan(String planId, Instant createdAt, Instant expiresAt, String database,
        String runId, List<PlannedAction> actions, List<WithheldItem> withheld, long withheldTotal, List<GuardTrip> guards) {

    public RemediationPlan {
        guards = guards == null ? List.of() : List.copyOf(guards);
    }

    /** A plan no guard stopped. */
    public RemediationPlan(String planId, Instant createdAt, Instant expiresAt, String database, String runId,
            List<PlannedAction> actions, List<WithheldItem> withheld, long withheldTotal) {
        this(planId, createdAt, expiresAt, database, runId, actions, withheld, withheldTotal, List.of());
    }

    public boolean expired(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
