package dify.reconciler.remediate;

import java.time.Instant;
import java.util.List;

/**
 * What remediation would do now: actions and withheld findings. Made the same way armed or not
 * ({@code dryRun} only records what the configuration said when it was made); {@code database} names the
 * database it was made for, so {@code apply} refuses it elsewhere; {@code expiresAt} bounds how stale it may be.
 * {@code withheldTotal} counts every withheld finding, {@code withheld} lists at most a bounded number.
 */
public record RemediationPlan(String planId, Instant createdAt, Instant expiresAt, boolean dryRun, String database,
        String runId, List<PlannedAction> actions, List<WithheldItem> withheld, long withheldTotal) {

    public boolean expired(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
