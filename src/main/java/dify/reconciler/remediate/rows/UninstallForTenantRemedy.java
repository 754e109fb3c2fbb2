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
        DaemonSchema s = changes.schema();
        String uid = a.pluginUniqueIdentifier();
        List<DaemonRowReads.Locked> plugins = changes.lockByIdentifier(c, DaemonSchema.PLUGINS, uid, List.of("t.refers::text"),
                DaemonRowReads.Wait.WAIT);
        if (plugins.size() > 1) {
            return Done.skipped(plugins.size() + " plugins rows share this identifier (duplicate_rows): reported, not acted on");
        }
        List<DaemonRowReads.Locked> found = changes.lockById(c, DaemonSchema.INSTALLATIONS, a.rowId(),
                List.of("t.tenant_id::text", "t.plugin_id", "t.plugin_unique_identifier", "t.runtime_type"),
                DaemonRowReads.Wait.after(plugins));
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
        List<DaemonRowReads.Locked> categoryRows = new ArrayList<>();
        for (String table : DaemonSchema.CATEGORY_TABLES) {
            if (!s.hasTable(table)) {
                continue;
            }
            for (DaemonRowReads.Locked r : changes.lock(c, table,
                    "t.tenant_id::text = ? AND t.plugin_id = ? AND t.plugin_unique_identifier = ?", List.of(),
                    DaemonRowReads.Wait.NOWAIT, a.tenantId(), a.pluginId(), uid)) {
                categoryRows.add(new DaemonRowReads.Locked(r.json(), r.id(), List.of(table)));
            }
        }
        // Quarantined in the order restore reverses: it takes the newest first, so the plugins row (locked first, as
        // the daemon's install does) is restored first, then the installation, then its category rows.
        for (DaemonRowReads.Locked r : categoryRows) {
            changes.remove(c, r.values().get(0), r.id(), r.json());
        }
        changes.remove(c, a.table(), a.rowId(), inst.json());
        String detail = "installation and " + categoryRows.size() + " category row(s) moved to quarantine";
        if (plugins.isEmpty()) {
            return new Done(null, null, null, detail + "; no plugins row to adjust", changes.rows());
        }
        DaemonRowReads.Locked plugin = plugins.get(0);
        long refers = plugin.values().get(0) == null ? 0 : Long.parseLong(plugin.values().get(0));
        long left = changes.countInstallations(c, uid);
        if (refers == left) {
            return new Done(null, null, null, detail + "; refers " + refers + " already matches", changes.rows());
        }
        changes.set(c, DaemonSchema.PLUGINS, plugin.id(), plugin.json(), "refers", left);
        return new Done(null, "{\"refers\": " + refers + "}", "{\"refers\": " + left + "}",
                detail + "; refers " + refers + " -> " + left + (left == 0 ? " (the plugins row stays: plugin_unreferenced)" : ""),
                changes.rows());
    }
}
