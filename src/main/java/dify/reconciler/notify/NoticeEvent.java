package dify.reconciler.notify;

/**
 * What a webhook notice is about; the label is the payload's {@code event} and the metric's {@code event} tag.
 *
 * <p>Plan approval: {@code approval.PlanApprovals} fires a {@code PlanAwaitingApproval} when it publishes a plan;
 * {@link Notifications} offers it on the {@link Notice#APPROVAL_CHANNEL} with the plan id as the state.
 */
public enum NoticeEvent {
    /** The set of critical findings differs from the last one delivered (the first successful scan after start counts). */
    CRITICAL_FINDINGS_CHANGED("critical_findings_changed"),
    /** A run failed after the last delivered run state was a success (or none was delivered yet). */
    RUN_FAILED("run_failed"),
    /** The remediation breaker tripped: nothing is applied until someone acknowledges it. */
    BREAKER_TRIPPED("breaker_tripped"),
    /** An armed leader published a plan for approval (reconciler.remediation.approval=required); once per plan id. */
    PLAN_AWAITS_APPROVAL("plan_awaits_approval");

    private final String label;

    NoticeEvent(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
