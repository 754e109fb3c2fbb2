package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import java.time.Instant;
import java.util.Set;

/**
 * How one family of finding kinds is repaired, end to end: which kinds it acts on, what it changes (its
 * {@link RemedyAction}), the population its share cap is measured on, the action it plans for a finding, which
 * planned actions it makes (a plan file is input), and, in {@code rows.RowRemedy} or {@code objects.ObjectRemedy}, its re-check
 * and change. The planner, the appliers and the plan validation hold no rule of their own about a kind: they ask
 * the kind's remedy ({@code planner.Remedies}). Adding a remedy is one class and one line in {@code Remedies}.
 */
public interface Remedy {

    /** The kinds this remedy acts on; each kind has at most one remedy. */
    Set<FindingKind> kinds();

    RemedyAction action();

    /** The rows or objects the kind is about, from the scan's counts: the base of {@code max-share}. */
    long population(FindingKind kind, ScanCounts counts);

    /** The action for a finding of one of its kinds (keys, values to compare, the detail an operator reads). */
    PlannedAction plan(Finding f, String id, StorageLayout layout);

    /**
     * A reason of this remedy's own to leave a confirmed, old enough, allowed finding alone for now, or null. The
     * common guards (listed, confirmed, old enough) are the planner's.
     */
    default WithheldReason withhold(Finding f, Instant now, RemediationPolicy policy) {
        return null;
    }

    /** Why a planned action of one of its kinds is not one this remedy makes, as a sentence; null when it is. */
    String refusal(PlannedAction a, StorageLayout layout);
}
