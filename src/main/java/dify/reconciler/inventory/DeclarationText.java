package dify.reconciler.inventory;

import java.time.Instant;

/** A {@code plugin_declarations} row with its JSON, streamed one at a time to be checked against Dify's rules. */
public record DeclarationText(String id, String uid, String pluginId, Instant changedAt, String json) {
}
