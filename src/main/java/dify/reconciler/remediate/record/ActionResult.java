package dify.reconciler.remediate.record;

/** What happened to one action of a plan (or one quarantined row, for restore), with a line for people. */
public record ActionResult(String actionId, String kind, String action, String table, String rowId, ActionOutcome outcome,
        String detail) {
}
