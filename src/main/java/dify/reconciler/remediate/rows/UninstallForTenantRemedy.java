package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.FindingKind;
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
 * {@code installation_declaration_missing}: uninstalls the plugin for one tenant, as the daemon's uninstall does:
 * the plugins row locked first, then the installation and its category rows removed, then refers set to the
 * installations left (the daemon decrements; we set the absolute count, section 9). At 0 the plugins row stays:
 * removing it, its declaration and object is the plugin_unreferenced remedy's step, re-checked on its own. Like every
 * kind, acted on only when listed in {@code kinds}.
 */
public final class UninstallForTenantRemedy extends RowSetRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.INSTALLATION_DECLARATION_MISSING);
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
        return DaemonSchema.INSTALLATIONS.equals(a.table());
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
                List.of("t.tenant_id::text", "t.plugin_id", "t.plugin_unique_identifier", "t.runtime_type"),
                DaemonRowReads.Wait.after(held));
        if (found.isEmpty()) {
            return Done.skipped("the installation is gone");
        }
        DaemonRowReads.Locked inst = found.get(0);
        if (!Objects.equals(inst.values().get(0), a.tenantId()) || !Objects.equals(inst.values().get(1), a.pluginId())
                || !Objects.equals(inst.values().get(2), uid)) {
            return Done.skipped("the installation's tenant, plugin id or identifier changed (upgraded since?)");
        }
        if ("remote".equals(inst.values().get(3))) {
            return Done.skipped("the installation is remote now: it needs no declaration row");
        }
        if (changes.hasIdentifier(c, DaemonSchema.DECLARATIONS, uid)) {
            return Done.skipped("the declaration exists now");
        }
        List<DaemonRowReads.Locked> categoryRows = Uninstall.lockCategoryRows(c, changes,
                "t.tenant_id::text = ? AND t.plugin_id = ? AND t.plugin_unique_identifier = ?", a.tenantId(), a.pluginId(), uid);
        List<Uninstall.Recount> refers = Uninstall.removeAndRecount(c, changes, categoryRows, List.of(inst),
                plugins.byIdentifier());
        return Uninstall.oneIdentifier("installation and " + categoryRows.size() + " category row(s) moved to quarantine", refers,
                changes);
    }
}
