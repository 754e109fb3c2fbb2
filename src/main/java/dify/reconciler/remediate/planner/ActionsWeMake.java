package dify.reconciler.remediate.planner;

import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.WithheldReason;

/**
 * The one contract between the planner and the applier: which actions we make. The planner checks every action it
 * builds against it and withholds one that fails ({@link WithheldReason#UNSUPPORTED}), so a plan never holds an
 * action that apply refuses; a plan read back from a file is refused as a whole when any action fails it (a plan
 * file is input, and one action we would not have planned means it is not ours). Pure.
 */
public final class ActionsWeMake {

    private ActionsWeMake() {
    }

    /** Why we never make this action, as a sentence naming it; null when it is one we make. */
    public static String refusal(PlannedAction a, StorageLayout layout) {
        return Remedies.refusal(a, layout);
    }
}
