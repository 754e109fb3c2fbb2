package dify.reconciler.approval;

import java.time.Instant;

/**
 * Whether remediation is suspended now: by whom, since when and why (the latest suspend or resume); {@code storage}
 * is {@code persisted} (our schema: every replica, across restarts) or {@code memory} (this process only).
 */
public record SuspensionStatus(boolean suspended, String reason, String by, Instant since, String storage) {

    static SuspensionStatus never(String storage) {
        return new SuspensionStatus(false, null, null, null, storage);
    }

    /** One line for the plan's note and the gate's refusal. */
    public String describe() {
        return suspended
                ? "remediation is suspended by " + by + " since " + since + ": " + reason + " (POST /api/v1/remediation/resume)"
                : "remediation is not suspended";
    }
}
