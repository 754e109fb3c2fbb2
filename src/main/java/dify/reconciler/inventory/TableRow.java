package dify.reconciler.inventory;

import java.time.Instant;

/** A row of any table that names a plugin: a category row, a serverless runtime, an endpoint, a task. */
public record TableRow(String table, String id, String tenantId, String pluginId, String uid, Instant changedAt,
        String detail) {
}
