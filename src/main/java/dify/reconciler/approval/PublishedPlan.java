package dify.reconciler.approval;

import dify.reconciler.remediate.planner.PlanDocument;
import java.time.Instant;
import java.util.Locale;

/**
 * A plan an armed leader published for approval, and what became of it. {@code plan} is the plan that is applied
 * once approved (its actions, each re-checked then), with {@code expiresAt} as its expiry; {@code storage} is
 * {@code persisted} or {@code memory}.
 */
public record PublishedPlan(String planId, Instant createdAt, Instant expiresAt, String runId, Status status, String approvedBy,
        Instant approvedAt, String replacedBy, Instant appliedAt, PlanDocument plan, String storage) {

    /**
     * pending: waits for approval; approved: the leader applies it at its next tick (inside a change window);
     * replaced: a newer plan was published before anyone approved it; expired: not approved, or not applied, before
     * {@code expiresAt}; applied: handed to the applier (the audit has each action's outcome).
     */
    public enum Status {
        PENDING,
        APPROVED,
        REPLACED,
        EXPIRED,
        APPLIED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Status stored(String label, Instant expiresAt, Instant now) {
            Status s = valueOf(label.toUpperCase(Locale.ROOT));
            return (s == PENDING || s == APPROVED) && !now.isBefore(expiresAt) ? EXPIRED : s;
        }
    }
}
