package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code legacy_global_installation}: the installation daemons 0.3.0-0.4.1 wrote for the global tenant (and the
 * category row their ordinary install transaction wrote with it), uninstalled as the daemon's uninstall would: the
 * {@code plugins} row locked first, then the installation and the global tenant's category rows of its plugin id
 * ({@code WHERE plugin_id = ? AND tenant_id = ?}, as the daemon deletes them) quarantined, and {@code refers} set to
 * the installations left, counted as the daemon counts (every installation, the global tenant's included). At 0 the
 * plugins row stays: plugin_unreferenced's step. Only while no workspace has the identifier installed, as the finding
 * said.
 */
public final class GlobalTenantInstallationRemedy extends RowSetRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.LEGACY_GLOBAL_INSTALLATION);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.INSTALLATIONS);
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return DaemonSchema.INSTALLATIONS.equals(a.table()) && GlobalTenant.ID.equalsIgnoreCase(a.tenantId());
    }

    @Override
    Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        String uid = a.pluginUniqueIdentifier();
        List<DaemonRowReads.Locked> held = new ArrayList<>();
        Uninstall.PluginRows plugins = Uninstall.lockPlugins(c, changes, List.of(uid), held);
        if (plugins.refused() != null) {
            return Done.skipped(plugins.refused());
        }
        List<DaemonRowReads.Locked> found = changes.lockById(c, DaemonSchema.INSTALLATIONS, a.rowId(),
                List.of("t.tenant_id::text", "t.plugin_id", "t.plugin_unique_identifier"), DaemonRowReads.Wait.after(held));
        if (found.isEmpty()) {
            return Done.skipped("the installation is gone");
        }
        DaemonRowReads.Locked inst = found.get(0);
        if (!GlobalTenant.ID.equals(inst.values().get(0)) || !Objects.equals(inst.values().get(1), a.pluginId())
                || !Objects.equals(inst.values().get(2), uid)) {
            return Done.skipped("the installation's tenant, plugin id or identifier changed (upgraded since?)");
        }
        long inWorkspaces = DaemonRowReads.count(c, "SELECT count(*) FROM " + changes.qualified(DaemonSchema.INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ? AND tenant_id::text <> ?", uid, GlobalTenant.ID);
        if (inWorkspaces > 0) {
            return Done.skipped(inWorkspaces + " workspace(s) have this identifier installed now");
        }
        // The global tenant's category rows of the plugin id, as the daemon deletes them (not by identifier).
        List<DaemonRowReads.Locked> categoryRows = Uninstall.lockCategoryRows(c, changes, "t.tenant_id::text = ? AND t.plugin_id = ?",
                GlobalTenant.ID, a.pluginId());
        List<Uninstall.Recount> refers = Uninstall.removeAndRecount(c, changes, categoryRows, List.of(inst),
                plugins.byIdentifier());
        return Uninstall.oneIdentifier(
                "the global tenant's installation and " + categoryRows.size() + " category row(s) moved to quarantine", refers, changes);
    }
}
