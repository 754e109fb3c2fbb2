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
 *
 * <p>A Dify database that holds none of the daemon's workspaces (empty after a failed restore, or another
 * installation's database) would make every workspace "missing": a report flooded with false criticals. So missing
 * workspaces are held back until one workspace both sides know has been seen; when none is, nothing is reported and the
 * check did not run, with the reason. The hold is bounded ({@link #HELD_AT_MOST}): past it, workspaces before the
 * first shared one are counted in a note instead of reported.
 */
public final class TenantMissingDetector {

    static final int HELD_AT_MOST = 10_000;

    private final FindingSink sink;
    private final int heldAtMost;
    private final List<TenantFootprint> held = new ArrayList<>();
    private long notHeld;
    private long shared;
    private long difyWorkspaces;

    public TenantMissingDetector(FindingSink sink) {
        this(sink, HELD_AT_MOST);
    }

    TenantMissingDetector(FindingSink sink, int heldAtMost) {
        this.sink = sink;
        this.heldAtMost = heldAtMost;
    }

    /** @return the reason the check did not run (also in the sink), or null when it ran */
    public String detect(Iterator<TenantFootprint> daemonTenants, Iterator<String> difyTenants) {
        SortedMerge.join("the daemon's tenants", daemonTenants, TenantFootprint::tenantId, "Dify's tenants", difyTenants,
                Function.identity(), (tenant, footprints, existing) -> {
                    if (!existing.isEmpty()) {
                        difyWorkspaces++;
                        if (!footprints.isEmpty() && shared++ == 0) {
                            releaseHeld();
                        }
                        return;
                    }
                    for (TenantFootprint f : footprints) {
                        if (shared > 0) {
                            missing(f);
                        } else if (held.size() < heldAtMost) {
                            held.add(f);
                        } else {
                            notHeld++;
                        }
                    }
                });
        if (shared > 0 || (held.isEmpty() && notHeld == 0)) {
            return null;
        }
        long daemonWorkspaces = held.size() + notHeld;
        String reason = (difyWorkspaces == 0
                ? "Dify's tenants is empty"
                : "Dify's tenants (" + difyWorkspaces
                        + " workspace(s)) holds none of the " + daemonWorkspaces + " workspace(s) the daemon keeps rows for")
                + ": not the database of this daemon's Dify (reconciler.dify-database), or a restore in progress;"
                + " reporting every workspace as deleted would be wrong";
        sink.checkNotRun(FindingKind.INSTALLATION_TENANT_MISSING, reason);
        return reason;
    }

    private void releaseHeld() {
        held.forEach(this::missing);
        held.clear();
        if (notHeld > 0) {
            sink.note(notHeld + " more workspace(s) not in Dify's tenants were not reported in this scan: more than "
                    + heldAtMost + " came before the first workspace both databases know (held back in case Dify's"
                    + " database was not this daemon's)");
        }
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
