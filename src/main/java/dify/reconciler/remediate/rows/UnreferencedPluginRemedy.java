package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.objects.ObjectRemedy;
import dify.reconciler.remediate.objects.OrphanedObjectRemedy;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code plugin_unreferenced}: as the daemon's last uninstall does, the plugins row (locked first: install locks it
 * too, so no installation of it can commit while we hold it), its declaration and serverless runtime row are
 * quarantined in one transaction; once committed, {@code plugin/U} follows as an orphaned installed copy would
 * ({@link #followingObject()}), under the same action id.
 */
public final class UnreferencedPluginRemedy extends InstallRacingRemedy {

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.PLUGIN_UNREFERENCED);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.PLUGINS);
    }

    @Override
    public PlannedAction plan(Finding f, String id, StorageLayout layout) {
        // The daemon's last uninstall also deletes plugin/U after commit; that object is its own finding here.
        return new PlannedAction(id, f.kind(), action(), f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                f.detail() + "; the plugins row, its declaration and serverless row are quarantined together; the"
                        + " installed object plugin/" + f.pluginUniqueIdentifier() + " is handled by its own finding"
                        + " (installed_object_orphaned)");
    }

    @Override
    boolean tableAllowed(PlannedAction a) {
        return DaemonSchema.PLUGINS.equals(a.table());
    }

    @Override
    Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        DaemonSchema s = changes.schema();
        String uid = a.pluginUniqueIdentifier();
        List<DaemonRowReads.Locked> found = changes.lockById(c, DaemonSchema.PLUGINS, a.rowId(), List.of("t.plugin_unique_identifier"),
                DaemonRowReads.Wait.WAIT);
        if (found.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        if (!Objects.equals(found.get(0).values().get(0), uid)) {
            return Done.skipped("the row's identifier changed");
        }
        if (DaemonRowReads.exists(c, "SELECT 1 FROM " + changes.qualified(DaemonSchema.PLUGINS)
                + " t WHERE t.plugin_unique_identifier = ? AND NOT (" + changes.idPredicate(c, DaemonSchema.PLUGINS) + ")", uid,
                a.rowId())) {
            return Done.skipped("another plugins row shares this identifier (duplicate_rows): reported, not acted on");
        }
        long installed = changes.countInstallations(c, uid);
        if (installed > 0) {
            return Done.skipped(installed + " installation(s) use this identifier now");
        }
        String inFlight = changes.installInFlight(c, uid);
        if (inFlight != null) {
            return Done.skipped(inFlight);
        }
        List<DaemonRowReads.Locked> declarations = changes.lockByIdentifier(c, DaemonSchema.DECLARATIONS, uid, List.of(),
                DaemonRowReads.Wait.NOWAIT);
        List<DaemonRowReads.Locked> runtimes = s.hasTable(DaemonSchema.SERVERLESS_RUNTIMES)
                ? changes.lockByIdentifier(c, DaemonSchema.SERVERLESS_RUNTIMES, uid, List.of(), DaemonRowReads.Wait.NOWAIT)
                : List.of();
        // Restore takes the newest first: declaration and runtime are back before the plugins row that needs them.
        changes.remove(c, a.table(), a.rowId(), found.get(0).json());
        for (DaemonRowReads.Locked r : runtimes) {
            changes.remove(c, DaemonSchema.SERVERLESS_RUNTIMES, r.id(), r.json());
        }
        for (DaemonRowReads.Locked r : declarations) {
            changes.remove(c, DaemonSchema.DECLARATIONS, r.id(), r.json());
        }
        return new Done(null, null, null, "plugins row, " + declarations.size() + " declaration(s) and " + runtimes.size()
                + " serverless runtime row(s) moved to quarantine; plugin/" + uid + " is left to installed_object_orphaned",
                changes.rows());
    }

    @Override
    public ObjectRemedy followingObject() {
        return OrphanedObjectRemedy.INSTALLED_COPIES;
    }

    @Override
    public String followingKey(PlannedAction a, StorageLayout layout) {
        return layout.installed() + a.pluginUniqueIdentifier();
    }
}
