package dify.reconciler.notify;

import java.util.Map;

/**
 * One entry of the webhook queue. A notice with a {@code channel} carries the state it announces (a critical set's
 * fingerprint, {@code failing}, {@code succeeding}): it is sent only when that state differs from the last one
 * delivered on the channel. A notice without an {@code event} only records a state (a run that succeeds again is
 * not announced, but re-arms {@link NoticeEvent#RUN_FAILED}). A notice without a channel (a breaker trip) is always sent.
 */
public record Notice(NoticeEvent event, String channel, String state, Map<String, Object> payload) {

    /** The channel of the critical findings' set; its state is {@link CriticalSet#fingerprint()}. */
    public static final String CRITICAL_CHANNEL = "critical_findings";
    /** The channel of the run result; its states are {@link #FAILING} and {@link #SUCCEEDING}. */
    public static final String RUN_CHANNEL = "run_result";
    /** The channel of plans awaiting approval; its state is the plan id, so each plan is announced once. */
    public static final String APPROVAL_CHANNEL = "plan_approval";
    public static final String FAILING = "failing";
    public static final String SUCCEEDING = "succeeding";

    static Notice recordOnly(String channel, String state) {
        return new Notice(null, channel, state, null);
    }

    boolean recordsOnly() {
        return event == null;
    }
}
