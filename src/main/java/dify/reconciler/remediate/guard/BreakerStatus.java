package dify.reconciler.remediate.guard;

import java.util.List;

/**
 * Whether the breaker is tripped: {@code open} lists its unacknowledged trips, oldest first (tripped when not
 * empty); {@code storage} is {@code persisted} (our schema, shared by every instance and restart) or
 * {@code memory} (this process only).
 */
public record BreakerStatus(boolean tripped, List<BreakerEvent> open, String storage) {

    public BreakerStatus {
        open = List.copyOf(open);
    }

    public static BreakerStatus of(List<BreakerEvent> open, String storage) {
        return new BreakerStatus(!open.isEmpty(), open, storage);
    }

    /** One line for logs and the plan's guard detail. */
    public String describe() {
        if (!tripped) {
            return "not tripped";
        }
        BreakerEvent first = open.get(0);
        return "tripped " + open.size() + " time(s) since " + first.trippedAt() + " (first: " + first.guard() + ": " + first.detail()
                + "); acknowledge with 'breaker ack --reason TEXT' after checking why";
    }
}
