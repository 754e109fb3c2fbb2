package dify.reconciler.inventory;

import java.time.Instant;
import java.util.List;

/**
 * A {@code plugins} row: one per identifier installed in at least one tenant.
 *
 * @param changedAt      the later of created_at and updated_at (null when both are null)
 * @param remoteAssetIds asset ids named by {@code remote_declaration} (protects them from being called orphans)
 */
public record PluginRow(String id, String uid, String pluginId, long refers, String installType, Instant changedAt,
        List<String> remoteAssetIds) {

    public boolean isRemote() {
        return "remote".equals(installType);
    }

    public boolean isLocal() {
        return "local".equals(installType);
    }

    public boolean isServerless() {
        return "serverless".equals(installType);
    }
}
