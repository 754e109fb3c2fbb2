package dify.reconciler.remediate.plan;

import dify.reconciler.catalog.FindingKind;

/** A finding the plan does not act on, and why. {@code table}/{@code rowId}/{@code key} name its subject. */
public record WithheldItem(FindingKind kind, WithheldReason reason, String table, String rowId, String key) {
}
