package dify.reconciler.notify;

/**
 * What a webhook notice is about; the label is the payload's {@code event} and the metric's {@code event} tag.
 *
 * <p>Hook point for plan approval (issue 21, not built yet): when a plan starts waiting for approval, that code adds
 * {@code PLAN_AWAITING_APPROVAL("plan_awaiting_approval")} here, a payload in {@link NoticePayloads}, and offers it
 * with {@link Notifications#offer(Notice)} from where the plan is published; the queue, retries, redaction and the
 * metric then apply to it unchanged.
 */
public enum NoticeEvent {
    /** The set of critical findings differs from the last one delivered (the first successful scan after start counts). */
    CRITICAL_FINDINGS_CHANGED("critical_findings_changed"),
    /** A run failed after the last delivered run state was a success (or none was delivered yet). */
    RUN_FAILED("run_failed"),
    /** The remediation breaker tripped: nothing is applied until someone acknowledges it. */
    BREAKER_TRIPPED("breaker_tripped");

    private final String label;

    NoticeEvent(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
