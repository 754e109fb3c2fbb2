package dify.reconciler.inventory;

import java.time.Instant;

/** A {@code plugin_installations} row (one per tenant and plugin). */
public record InstallationRow(String id, String tenantId, String pluginId, String uid, String runtimeType,
        Instant changedAt) {

    public boolean isRemote() {
        return "remote".equals(runtimeType);
    }
}
