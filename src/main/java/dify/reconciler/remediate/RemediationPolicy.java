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

    /** The remedies of this version (rows, then objects); every other kind is report-only. */
    private static final Map<FindingKind, RemedyAction> REMEDIES = new EnumMap<>(Map.ofEntries(
            Map.entry(FindingKind.REFERS_TOO_LOW, RemedyAction.UPDATE_ROW),
            Map.entry(FindingKind.REFERS_DRIFT, RemedyAction.UPDATE_ROW),
            Map.entry(FindingKind.CATEGORY_ROW_ORPHANED, RemedyAction.QUARANTINE_ROW),
            Map.entry(FindingKind.ENDPOINT_ORPHANED, RemedyAction.QUARANTINE_ROW),
            Map.entry(FindingKind.INVALID_IDENTIFIER_ROW, RemedyAction.QUARANTINE_ROW),
            Map.entry(FindingKind.TENANT_STORAGE_DRIFT, RemedyAction.UPDATE_ROW),
            // Uninstalls the plugin for that tenant: like every kind, acted on only when listed in kinds.
            Map.entry(FindingKind.INSTALLATION_DECLARATION_MISSING, RemedyAction.QUARANTINE_ROW),
            Map.entry(FindingKind.DECLARATION_UNREFERENCED, RemedyAction.QUARANTINE_ROW),
            Map.entry(FindingKind.PLUGIN_UNREFERENCED, RemedyAction.QUARANTINE_ROW),
            // objects (ObjectRemedyApplier)
            Map.entry(FindingKind.INVALID_INSTALLED_KEY, RemedyAction.QUARANTINE_OBJECT),
            Map.entry(FindingKind.INSTALLED_OBJECT_ORPHANED, RemedyAction.QUARANTINE_OBJECT),
            Map.entry(FindingKind.PACKAGE_ORPHANED, RemedyAction.QUARANTINE_OBJECT),
            Map.entry(FindingKind.ASSET_ORPHANED, RemedyAction.QUARANTINE_OBJECT),
            Map.entry(FindingKind.INSTALLED_OBJECT_MISSING, RemedyAction.COPY_OBJECT),
            Map.entry(FindingKind.PACKAGE_MISSING, RemedyAction.COPY_OBJECT),
            Map.entry(FindingKind.INSTALLED_COPY_DIFFERS, RemedyAction.COPY_OBJECT),
            Map.entry(FindingKind.CHECKSUM_MISMATCH, RemedyAction.COPY_OBJECT),
            Map.entry(FindingKind.ASSET_MISSING, RemedyAction.COPY_OBJECT)));

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

    /** This policy armed (what {@code dry-run=false} gives): for tests and tools that arm one run explicitly. */
    public RemediationPolicy asArmed() {
        return new RemediationPolicy(true, allowed, confirmations, minAge, minAgeInfo, maxActionsPerRun, maxShare, planTtl);
    }

    /** Whether apply may act on this kind now: armed and listed. */
    public boolean mayApply(FindingKind kind) {
        return armed && allowed.contains(kind) && REMEDIES.containsKey(kind);
    }

    Duration minAgeOf(FindingKind kind) {
        return kind.severity() == Severity.INFO ? minAgeInfo : minAge;
    }
}
