package dify.reconciler.remediate.planner;

import dify.reconciler.remediate.plan.GuardName;
import dify.reconciler.remediate.plan.GuardTrip;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What a plan becomes when guards trip, and whether a plan hit a cap. Pure. A cap that is reached with more
 * eligible findings waiting is the sign of a deletion storm (or of a detector gone wrong): it trips the
 * breaker instead of acting on the first {@code max-actions-per-run} of them.
 */
public final class PlanGuards {

    private PlanGuards() {
    }

    /** The cap trip of a plan: some eligible finding was withheld by a cap; empty when none was. */
    public static Optional<GuardTrip> capTrip(RemediationPlan plan, RemediationPolicy policy) {
        TreeSet<String> kinds = new TreeSet<>();
        plan.withheld().stream().filter(w -> w.reason() == WithheldReason.CAP).map(w -> w.kind().label()).forEach(kinds::add);
        if (kinds.isEmpty()) {
            return Optional.empty();
        }
        String which = plan.actions().size() >= policy.maxActionsPerRun()
                ? "max-actions-per-run " + policy.maxActionsPerRun() + " reached"
                : "max-share " + policy.maxShare() + " of the kind's population reached";
        return Optional.of(new GuardTrip(GuardName.CAP, which + " with more eligible findings of " + String.join(", ", kinds)
                + " (" + plan.actions().size() + " action(s) would have been planned)"));
    }

    /**
     * The plan with no actions: every action and every withheld finding is withheld with reason {@code guard}
     * (the listed ones stay bounded), and the trips are listed. The same plan when nothing tripped.
     */
    public static RemediationPlan withheldByGuards(RemediationPlan plan, List<GuardTrip> trips) {
        if (trips.isEmpty()) {
            return plan;
        }
        List<WithheldItem> withheld = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (withheld.size() < RemediationPlanner.WITHHELD_LISTED) {
                withheld.add(new WithheldItem(a.kind(), WithheldReason.GUARD, a.table(), a.rowId(), null));
            }
        }
        for (WithheldItem w : plan.withheld()) {
            if (withheld.size() < RemediationPlanner.WITHHELD_LISTED) {
                withheld.add(new WithheldItem(w.kind(), WithheldReason.GUARD, w.table(), w.rowId(), w.key()));
            }
        }
        List<GuardTrip> guards = new ArrayList<>(plan.guards());
        guards.addAll(trips);
        return new RemediationPlan(plan.planId(), plan.createdAt(), plan.expiresAt(), plan.database(),
                plan.runId(), List.of(), List.copyOf(withheld), plan.withheldTotal() + plan.actions().size(), List.copyOf(guards));
    }
}
