package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.config.ReconcilerConfig;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The rules of remediation, as plain values (read from {@code reconciler.remediation.*} by the adapter): which
 * kinds are allowed, and the confirmation, age and cap guards.
 *
 * @param armed     true only when {@code dry-run} is the literal {@code false}; the planner ignores it, only the {@link dify.reconciler.remediate.acting.AccessGate AccessGate} decides by it
 * @param allowed   kinds listed in {@code kinds}
 * @param maxShare  per kind, at most {@code floor(maxShare × population)} actions
 */
public record RemediationPolicy(boolean armed, Set<FindingKind> allowed, int confirmations, Duration minAge,
        Duration minAgeInfo, int maxActionsPerRun, double maxShare, Duration planTtl) {

    public RemediationPolicy {
        allowed = Set.copyOf(allowed);
        if (confirmations < 1) {
            throw new IllegalArgumentException("reconciler.remediation.confirmations must be at least 1, not " + confirmations);
        }
        if (maxActionsPerRun < 0) {
            throw new IllegalArgumentException("reconciler.remediation.max-actions-per-run must not be negative");
        }
        if (!(maxShare >= 0 && maxShare <= 1)) {
            throw new IllegalArgumentException("reconciler.remediation.max-share must be between 0 and 1, not " + maxShare);
        }
        if (minAge.isNegative() || minAgeInfo.isNegative() || planTtl.isNegative() || planTtl.isZero()) {
            throw new IllegalArgumentException(
                    "reconciler.remediation min-age, min-age-info must not be negative and plan-ttl must be positive");
        }
    }

    /**
     * The policy the settings say; IllegalArgumentException naming the setting when one is wrong (checked at start
     * in every mode, so a wrong kind or cap stops start-up instead of failing every plan later).
     */
    public static RemediationPolicy of(ReconcilerConfig.Remediation r) {
        Set<FindingKind> kinds = EnumSet.noneOf(FindingKind.class);
        for (String k : r.kinds().orElse(List.of())) {
            if (!k.isBlank()) {
                try {
                    kinds.add(FindingKind.parse(k));
                } catch (IllegalArgumentException e) {
                    // No cause: the start-up failure is printed by its innermost message, which must name the setting.
                    throw new IllegalArgumentException("reconciler.remediation.kinds: " + e.getMessage());
                }
            }
        }
        return new RemediationPolicy(armedBy(r.dryRun()), kinds, r.confirmations(), r.minAge(), r.minAgeInfo(), r.maxActionsPerRun(),
                r.maxShare(), r.planTtl());
    }

    /** Only the literal {@code false} arms; anything else (unset, {@code False}, {@code no}, a typo) is a dry run. */
    public static boolean armedBy(String dryRunSetting) {
        return "false".equals(dryRunSetting);
    }

    /** This policy armed (what {@code dry-run=false} gives): for tests and tools that arm one run explicitly. */
    public RemediationPolicy asArmed() {
        return new RemediationPolicy(true, allowed, confirmations, minAge, minAgeInfo, maxActionsPerRun, maxShare, planTtl);
    }

    public Duration minAgeOf(FindingKind kind) {
        return kind.severity() == Severity.INFO ? minAgeInfo : minAge;
    }
}
