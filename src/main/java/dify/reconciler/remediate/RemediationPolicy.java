package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The rules of remediation, as plain values (read from {@code reconciler.remediation.*} by the adapter): which
 * kinds have a row remedy, which are allowed, and the confirmation, age and cap guards.
 *
 * @param armed     true only when {@code dry-run} is the literal {@code false}; the planner ignores it, the applier reads it
 * @param allowed   kinds listed in {@code kinds}
 * @param maxShare  per kind, at most {@code floor(maxShare × population)} actions
 */
public record RemediationPolicy(boolean armed, Set<FindingKind> allowed, int confirmations, Duration minAge,
        Duration minAgeInfo, int maxActionsPerRun, double maxShare, Duration planTtl) {

    /** The row remedies of this version; every other kind is report-only. */
    private static final Map<FindingKind, RemedyAction> REMEDIES = new EnumMap<>(Map.of(
            FindingKind.REFERS_TOO_LOW, RemedyAction.UPDATE_ROW,
            FindingKind.REFERS_DRIFT, RemedyAction.UPDATE_ROW,
            FindingKind.CATEGORY_ROW_ORPHANED, RemedyAction.QUARANTINE_ROW,
            FindingKind.ENDPOINT_ORPHANED, RemedyAction.QUARANTINE_ROW,
            FindingKind.INVALID_IDENTIFIER_ROW, RemedyAction.QUARANTINE_ROW,
            FindingKind.TENANT_STORAGE_DRIFT, RemedyAction.UPDATE_ROW,
            // Uninstalls the plugin for that tenant: like every kind, acted on only when listed in kinds.
            FindingKind.INSTALLATION_DECLARATION_MISSING, RemedyAction.QUARANTINE_ROW,
            FindingKind.DECLARATION_UNREFERENCED, RemedyAction.QUARANTINE_ROW,
            FindingKind.PLUGIN_UNREFERENCED, RemedyAction.QUARANTINE_ROW));

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

    /** The row remedy of a kind, empty for report-only kinds. */
    public static Optional<RemedyAction> remedyFor(FindingKind kind) {
        return Optional.ofNullable(REMEDIES.get(kind));
    }

    /** Kinds that have a row remedy in this version. */
    public static Set<FindingKind> remediableKinds() {
        return REMEDIES.keySet();
    }

    /** Only the literal {@code false} arms; anything else (unset, {@code False}, {@code no}, a typo) is a dry run. */
    public static boolean armedBy(String dryRunSetting) {
        return "false".equals(dryRunSetting);
    }

    /** Whether apply may act on this kind now: armed and listed. */
    public boolean mayApply(FindingKind kind) {
        return armed && allowed.contains(kind) && REMEDIES.containsKey(kind);
    }

    Duration minAgeOf(FindingKind kind) {
        return kind.severity() == Severity.INFO ? minAgeInfo : minAge;
    }
}
