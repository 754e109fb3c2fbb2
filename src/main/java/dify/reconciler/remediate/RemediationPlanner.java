package dify.reconciler.remediate;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.state.FindingHistory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns findings and their ledger history into a {@link RemediationPlan}: an action for each finding whose kind
 * has a row remedy, is allowed, is confirmed and old enough, within the caps; every other finding is withheld
 * with its reason. Pure: no clock, no I/O. The candidates are consumed lazily and reading stops once the
 * action cap has been reached and one more eligible finding was seen (so the plan can say the cap tripped),
 * or when the withheld list is full, so a million-entry ledger is never loaded.
 */
public final class RemediationPlanner {

    /** The plan lists at most this many withheld findings (it counts all it read). */
    static final int WITHHELD_LISTED = 1000;

    private final RemediationPolicy policy;
    private final StorageLayout layout;

    public RemediationPlanner(RemediationPolicy policy) {
        this(policy, StorageLayout.DEFAULT);
    }

    /** @param layout the daemon's prefixes, for the keys object remedies touch */
    public RemediationPlanner(RemediationPolicy policy, StorageLayout layout) {
        this.policy = policy;
        this.layout = layout;
    }

    /**
     * @param candidates  findings, best first (confirmed and oldest first makes the cap keep the most certain)
     * @param population  per kind, the rows of the tables the kind is about (for {@code max-share}); a kind
     *                    missing here has population 0, so nothing of it is acted on
     * @param database    the database the plan is for (apply refuses it elsewhere)
     */
    public RemediationPlan plan(String planId, String runId, Instant now, String database, Iterator<RemediationCandidate> candidates,
            Map<FindingKind, Long> population) {
        List<PlannedAction> actions = new ArrayList<>();
        List<WithheldItem> withheld = new ArrayList<>();
        long withheldTotal = 0;
        Map<FindingKind, Integer> perKind = new EnumMap<>(FindingKind.class);
        boolean capReached = false;
        while (candidates.hasNext()) {
            RemediationCandidate c = candidates.next();
            Finding f = c.finding();
            WithheldReason reason = reasonToWithhold(f.kind(), c.history(), now);
            if (reason == null && packageTooYoung(f, now)) {
                reason = WithheldReason.TOO_YOUNG;
            }
            if (reason == null && f.kind() == FindingKind.TENANT_STORAGE_DRIFT && (observedValue(f) == null || targetValue(f) == null)) {
                reason = WithheldReason.UNCONFIRMED; // recorded by an older version without the measurement: the next scan has it
            }
            if (reason == null) {
                int done = perKind.getOrDefault(f.kind(), 0);
                if (actions.size() >= policy.maxActionsPerRun() || done >= shareCap(f.kind(), population)) {
                    reason = WithheldReason.CAP;
                    capReached = actions.size() >= policy.maxActionsPerRun();
                } else {
                    PlannedAction action = actionFor(f, planId + "/" + (actions.size() + 1));
                    if (ActionsWeMake.refusal(action, layout) != null) {
                        reason = WithheldReason.UNSUPPORTED;
                    } else {
                        actions.add(action);
                        perKind.put(f.kind(), done + 1);
                    }
                }
            }
            if (reason != null) {
                withheldTotal++;
                if (withheld.size() < WITHHELD_LISTED) {
                    withheld.add(new WithheldItem(f.kind(), reason, f.table(), f.id(), f.key()));
                }
                if (capReached || withheld.size() >= WITHHELD_LISTED) {
                    break; // bounded: the rest of the ledger cannot add an action
                }
            }
        }
        return new RemediationPlan(planId, now, now.plus(policy.planTtl()), !policy.armed(), database, runId,
                List.copyOf(actions), List.copyOf(withheld), withheldTotal);
    }

    private PlannedAction actionFor(Finding f, String id) {
        RemedyAction remedy = RemediationPolicy.remedyFor(f.kind()).orElseThrow();
        ObjectRemedyKeys.Keys keys = remedy.onObject() ? ObjectRemedyKeys.of(f, layout) : new ObjectRemedyKeys.Keys(null, null);
        return new PlannedAction(id, f.kind(), remedy, f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                detailOf(f), keys.key(), keys.targetKey(), remedy.onObject() ? objectVersion(f) : null, observedValue(f),
                targetValue(f));
    }

    /**
     * The object's version an object action compares, when the finding is about that object (a quarantine, or a
     * replace of the finding's object); null for a finding about a row (a missing object: the target must be absent).
     */
    private static ObservedVersion objectVersion(Finding f) {
        return f.observed() != null && f.observed().size() != null ? f.observed() : null;
    }

    /** The guard a finding trips, in the order an operator fixes them; null when it may be acted on. */
    WithheldReason reasonToWithhold(FindingKind kind, FindingHistory history, Instant now) {
        if (RemediationPolicy.remedyFor(kind).isEmpty()) {
            return WithheldReason.REPORT_ONLY;
        }
        if (!policy.allowed().contains(kind)) {
            return WithheldReason.NOT_ALLOWED;
        }
        if (history == null || history.consecutiveScans() < policy.confirmations()) {
            return WithheldReason.UNCONFIRMED;
        }
        if (history.firstSeen().plus(policy.minAgeOf(kind)).isAfter(now)) {
            return WithheldReason.TOO_YOUNG;
        }
        return null;
    }

    /**
     * A declaration's age is measured on its package's last-modified, the upload clock (section 9: uploads re-save
     * the package but never touch the declaration), when the scan recorded it: a package uploaded again within
     * {@code min-age-info} means an install may follow, so its declaration is left alone.
     */
    private boolean packageTooYoung(Finding f, Instant now) {
        return f.kind() == FindingKind.DECLARATION_UNREFERENCED && f.observed() != null && f.observed().lastModified() != null
                && f.observed().lastModified().plus(policy.minAgeOf(f.kind())).isAfter(now);
    }

    /** The column value the scan read, for updates that set a measured value (compare-and-set at apply). */
    private static Long observedValue(Finding f) {
        return f.kind() == FindingKind.TENANT_STORAGE_DRIFT && f.observed() != null ? f.observed().size() : null;
    }

    /** The measured value such an update sets. */
    private static Long targetValue(Finding f) {
        return f.kind() == FindingKind.TENANT_STORAGE_DRIFT ? f.bytes() : null;
    }

    private static String detailOf(Finding f) {
        if (f.kind() == FindingKind.PLUGIN_UNREFERENCED) {
            // The daemon's last uninstall also deletes plugin/U after commit; that object is its own finding here.
            return f.detail() + "; the plugins row, its declaration and serverless row are quarantined together; the"
                    + " installed object plugin/" + f.pluginUniqueIdentifier() + " is handled by its own finding"
                    + " (installed_object_orphaned)";
        }
        return f.detail();
    }

    /** {@code floor(maxShare × population)}: a share cap never rounds up to an action nobody allowed. */
    private int shareCap(FindingKind kind, Map<FindingKind, Long> population) {
        long n = population.getOrDefault(kind, 0L);
        // The epsilon: 0.29 × 100 is 28.999… in binary floating point.
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.floor(policy.maxShare() * n + 1e-9));
    }
}
