package dify.reconciler.inventory;

import java.time.Instant;

/** A {@code tenant_storages} row: the daemon's record of bytes under {@code persistence/<tenant>/<plugin_id>/}. */
public record TenantStorageRow(String id, String tenantId, String pluginId, long size, Instant changedAt) {

    /** The key prefix below the persistence prefix that this row accounts for, e.g. {@code <tenant>/author/name/}. */
    public String relativePrefix() {
        return tenantId + "/" + pluginId + "/";
    }
}
