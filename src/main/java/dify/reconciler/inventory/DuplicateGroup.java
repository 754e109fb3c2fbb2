package dify.reconciler.inventory;

import java.util.List;

/** Rows that share a key the daemon's newer unique indexes forbid duplicating. */
public record DuplicateGroup(String table, String keyDescription, String uid, String pluginId, String tenantId,
        long count, List<String> ids) {
}
