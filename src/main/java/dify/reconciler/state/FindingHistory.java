package dify.reconciler.state;

import java.time.Instant;

/**
 * What the ledger knows of one present finding: when a successful scan first saw it, and how many successful
 * scans in a row have seen it since (remediation's confirmations count these).
 */
public record FindingHistory(Instant firstSeen, int consecutiveScans) {
}
