package dify.reconciler.inventory;

import java.time.Instant;
import java.util.List;

/** A {@code plugin_declarations} row (one per uploaded package), with the asset ids its icon fields name. */
public record DeclarationRow(String id, String uid, String pluginId, Instant changedAt, List<String> assetIds) {
}
