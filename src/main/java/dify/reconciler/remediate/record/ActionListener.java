package dify.reconciler.remediate.record;

/** Told about every action's outcome (the metric {@code plugin_reconciler_remediation_actions_total}). */
@FunctionalInterface
public interface ActionListener {

    void outcome(String kind, String action, ActionOutcome outcome);
}
