package dify.reconciler.remediate.planner;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationCandidate;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import dify.reconciler.state.FindingHistory;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Turns findings and their ledger history into a {@link RemediationPlan}: an action for each finding whose kind
 * has a remedy ({@link Remedies}), is allowed, is confirmed and old enough, within the caps; every other finding is
 * withheld with its reason. The action itself, and any reason of its own to wait, are the kind's remedy's. Pure: no clock, no I/O. The candidates are consumed lazily and reading stops once the
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
            if (reason == null) {
                reason = Remedies.of(f.kind()).orElseThrow().withhold(f, now, policy);
            }
            if (reason == null) {
                int done = perKind.getOrDefault(f.kind(), 0);
                if (actions.size() >= policy.maxActionsPerRun() || done >= shareCap(f.kind(), population)) {
                    reason = WithheldReason.CAP;
                    capReached = actions.size() >= policy.maxActionsPerRun();
                } else {
                    PlannedAction action = Remedies.of(f.kind()).orElseThrow().plan(f, planId + "/" + (actions.size() + 1), layout);
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
        return new RemediationPlan(planId, now, now.plus(policy.planTtl()), database, runId,
                List.copyOf(actions), List.copyOf(withheld), withheldTotal);
    }

    /**
     * The most candidates {@link #plan} reads before it stops: every candidate read is an action (at most
     * {@code max-actions-per-run}) or withheld, and it stops once {@value #WITHHELD_LISTED} are withheld or one
     * more action was capped. A source that yields at most this many gives the same plan as an unbounded one.
     */
    public static int mostCandidatesRead(RemediationPolicy policy) {
        return policy.maxActionsPerRun() + WITHHELD_LISTED;
    }

    /** The guard a finding trips, in the order an operator fixes them; null when it may be acted on. */
    WithheldReason reasonToWithhold(FindingKind kind, FindingHistory history, Instant now) {
        if (Remedies.of(kind).isEmpty()) {
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

    /** {@code floor(maxShare × population)}: a share cap never rounds up to an action nobody allowed. */
    private int shareCap(FindingKind kind, Map<FindingKind, Long> population) {
        long n = population.getOrDefault(kind, 0L);
        // The epsilon: 0.29 × 100 is 28.999… in binary floating point.
        return (int) Math.min(Integer.MAX_VALUE, (long) Math.floor(policy.maxShare() * n + 1e-9));
    }
}
