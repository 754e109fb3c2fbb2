package dify.reconciler.remediate.plan;

import java.util.Locale;

/** Why a finding is in the plan's {@code withheld} list instead of its actions. */
public enum WithheldReason {
    /** The kind has no row remedy in this version (object kinds, or kinds that are report-only by design). */
    REPORT_ONLY,
    /** The kind has a remedy, but {@code reconciler.remediation.kinds} does not list it. */
    NOT_ALLOWED,
    /** Fewer than {@code confirmations} consecutive successful scans saw it (or the ledger does not know it). */
    UNCONFIRMED,
    /** First seen less than {@code min-age} ({@code min-age-info} for info kinds) ago. */
    TOO_YOUNG,
    /** {@code max-actions-per-run} or the kind's {@code max-share} of its population was reached. */
    CAP,
    /**
     * The remedy cannot act on this finding's key or table: apply would refuse the action (see {@link dify.reconciler.remediate.planner.ActionsWeMake ActionsWeMake}),
     * so it is reported, never planned. No detector of this version produces such a finding (a property test holds
     * the planner and the applier to that); the reason exists so that one a future detector produces cannot fail a
     * whole apply.
     */
    UNSUPPORTED,
    /** A guard stopped the whole plan (the plan's {@code guards} say which): untrustworthy inputs, a cap, the breaker. */
    GUARD,
    /** The service planned outside every change window ({@code reconciler.remediation.windows}): shown, not applied. */
    OUTSIDE_WINDOW;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
