package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.TenantFootprint;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

/**
 * {@code installation_tenant_missing}: the daemon keeps rows for a workspace that Dify's {@code tenants} no longer
 * has. Both sides arrive sorted by tenant id in byte order and are merged in one pass ({@link SortedMerge}), so
 * neither side is held in memory. One finding per workspace, with its rows counted per table: an operator acts per
 * workspace (the uninstall Dify never sent), not per row. Rows inside the grace period are left out and counted; a
 * workspace with only young rows is not reported.
 */
public final class TenantMissingDetector {

    private final FindingSink sink;

    public TenantMissingDetector(FindingSink sink) {
        this.sink = sink;
    }

    public void detect(Iterator<TenantFootprint> daemonTenants, Iterator<String> difyTenants) {
        SortedMerge.join("the daemon's tenants", daemonTenants, TenantFootprint::tenantId, "Dify's tenants", difyTenants,
                Function.identity(), (tenant, footprints, existing) -> {
                    if (footprints.isEmpty() || !existing.isEmpty()) {
                        return;
                    }
                    for (TenantFootprint f : footprints) {
                        missing(f);
                    }
                });
    }

    private void missing(TenantFootprint f) {
        sink.rowsInGrace(f.rowsInGrace());
        if (f.oldRows() == 0) {
            return;
        }
        List<String> counts = new ArrayList<>();
        count(counts, f.installations(), "installation(s)");
        count(counts, f.categoryRows(), "category row(s)");
        count(counts, f.endpoints(), "endpoint(s)");
        count(counts, f.tenantStorages(), "tenant_storages row(s)");
        String plugins = String.join(", ", f.pluginIds())
                + (f.pluginCount() > f.pluginIds().size() ? " and " + (f.pluginCount() - f.pluginIds().size()) + " more" : "");
        String detail = "workspace " + f.tenantId() + " is not in Dify's tenants (deleted in Dify?) but the daemon still keeps "
                + String.join(", ", counts) + (plugins.isEmpty() ? "" : " of " + f.pluginCount() + " plugin(s): " + plugins)
                + ". Nobody can see or use them"
                // Only installations count in refers; endpoints and tenant_storages rows alone keep no plugin alive.
                + (f.installations() > 0 ? ", yet they keep refers pinned and the plugins' objects and runtimes alive" : "")
                + "; expected none (an uninstall for this workspace removes them)";
        sink.add(new Finding(FindingKind.INSTALLATION_TENANT_MISSING, "tenants", f.tenantId(), null, null,
                f.pluginCount() == 1 && !f.pluginIds().isEmpty() ? f.pluginIds().get(0) : null, f.tenantId(), null, detail,
                ObservedVersion.row(f.lastChanged())));
    }

    private static void count(List<String> counts, long n, String what) {
        if (n > 0) {
            counts.add(n + " " + what);
        }
    }
}
