package dify.reconciler.approval;

import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.WithheldItem;
import dify.reconciler.remediate.plan.WithheldReason;
import java.util.ArrayList;
import java.util.List;

/**
 * A plan made outside every change window: the same plan, every action moved to {@code withheld} with reason
 * {@code outside_window}, so it is shown (what would be done) and nothing is applied or published for approval.
 */
public final class OutsideWindow {

    /** As many withheld items as the planner lists (the total counts the rest). */
    static final int LISTED = 1000;

    private OutsideWindow() {
    }

    public static RemediationPlan withhold(RemediationPlan plan) {
        if (plan.actions().isEmpty()) {
            return plan;
        }
        List<WithheldItem> withheld = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (withheld.size() < LISTED) {
                withheld.add(new WithheldItem(a.kind(), WithheldReason.OUTSIDE_WINDOW, a.table(), a.rowId(), a.key()));
            }
        }
        for (WithheldItem w : plan.withheld()) {
            if (withheld.size() < LISTED) {
                withheld.add(w);
            }
        }
        return new RemediationPlan(plan.planId(), plan.createdAt(), plan.expiresAt(), plan.database(), plan.runId(), List.of(),
                List.copyOf(withheld), plan.withheldTotal() + plan.actions().size(), plan.guards());
    }
}
