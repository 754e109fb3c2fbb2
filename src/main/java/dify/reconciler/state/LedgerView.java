package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import java.time.Instant;
import java.util.Map;

/**
 * The ledger after a successful scan: the oldest first-seen time of each kind still present (the metric
 * {@code plugin_reconciler_oldest_finding_timestamp_seconds}) and the history of each finding the report lists.
 */
public record LedgerView(Map<FindingKind, Instant> oldestFirstSeen, Map<String, FindingHistory> historyByIdentity) {

    public static final LedgerView EMPTY = new LedgerView(Map.of(), Map.of());

    /** The history of a finding the report lists; null when the ledger could not say. */
    public FindingHistory historyOf(Finding f) {
        return historyByIdentity.get(FindingIdentity.of(f));
    }
}
