package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.Finding;
import dify.reconciler.state.FindingHistory;

/**
 * A finding the planner may act on, with what the ledger knows of it ({@code history} null when the ledger
 * could not say: treated as unconfirmed).
 */
public record RemediationCandidate(Finding finding, FindingHistory history) {
}
