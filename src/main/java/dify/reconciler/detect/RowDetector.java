package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.DuplicateGroup;
import dify.reconciler.inventory.InstallationRow;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.TableRow;

/**
 * Row-at-a-time checks on rows PostgreSQL has already narrowed down (suspect installations, category rows
 * without an installation, endpoints without an installation, duplicates, stuck tasks, installations of the
 * legacy global tenant).
 */
public final class RowDetector {

    private final GraceWindow grace;
    private final FindingSink sink;
    private final DatabaseConsistencyDetector.Knowledge knowledge;

    public RowDetector(GraceWindow grace, FindingSink sink, DatabaseConsistencyDetector.Knowledge knowledge) {
        this.grace = grace;
        this.sink = sink;
        this.knowledge = knowledge;
    }

    /** A row of an installation whose identifier {@link DatabaseConsistencyDetector#suspectInstallationUids} flagged. */
    public void installation(InstallationRow row) {
        if (grace.isYoung(row.changedAt())) {
            return; // already counted in the tally's young rows
        }
        String table = "plugin_installations";
        ObservedVersion seen = ObservedVersion.row(row.changedAt());
        if (!PluginIdentifier.isValid(row.uid())) {
            sink.add(Finding.row(FindingKind.INVALID_IDENTIFIER_ROW, table, row.id(), row.uid(), row.pluginId(),
                    row.tenantId(), seen, DatabaseConsistencyDetector.invalidDetail(row.uid())));
            return;
        }
        if (!knowledge.pluginUids().contains(row.uid())) {
            sink.add(Finding.row(FindingKind.INSTALLATION_PLUGIN_MISSING, table, row.id(), row.uid(), row.pluginId(),
                    row.tenantId(), seen, "installation uses an identifier that has no plugins row"));
        }
        if (!row.isRemote() && !knowledge.declarationUids().contains(row.uid())) {
            sink.add(Finding.row(FindingKind.INSTALLATION_DECLARATION_MISSING, table, row.id(), row.uid(), row.pluginId(),
                    row.tenantId(), seen, "installation uses an identifier that has no plugin_declarations row;"
                            + " the tenant's plugin list fails with 'plugin not found'"));
        }
    }

    /** A row (category table, serverless runtime) whose identifier fails the daemon's rule. */
    public void invalidIdentifier(TableRow row) {
        if (grace.sparesRow(row.changedAt(), sink)) {
            return;
        }
        sink.add(Finding.row(FindingKind.INVALID_IDENTIFIER_ROW, row.table(), row.id(), row.uid(), row.pluginId(),
                row.tenantId(), ObservedVersion.row(row.changedAt()),
                DatabaseConsistencyDetector.invalidDetail(row.uid())));
    }

    /** A category row (with a valid identifier) with no installation of the same tenant, plugin id and identifier. */
    public void orphanedCategoryRow(TableRow row) {
        if (grace.sparesRow(row.changedAt(), sink)) {
            return;
        }
        sink.add(Finding.row(FindingKind.CATEGORY_ROW_ORPHANED, row.table(), row.id(), row.uid(), row.pluginId(),
                row.tenantId(), ObservedVersion.row(row.changedAt()),
                "no plugin_installations row for this tenant, plugin_id and identifier"
                        + (row.detail() == null ? "" : " (" + row.detail() + ")")));
    }

    /** An endpoint whose tenant has no installation of its plugin. */
    public void orphanedEndpoint(TableRow row) {
        if (grace.sparesRow(row.changedAt(), sink)) {
            return;
        }
        sink.add(Finding.row(FindingKind.ENDPOINT_ORPHANED, row.table(), row.id(), null, row.pluginId(), row.tenantId(),
                ObservedVersion.row(row.changedAt()), "no plugin_installations row for this tenant and plugin_id"
                        + (row.detail() == null ? "" : " (" + row.detail() + ")")));
    }

    /** An install task that has not succeeded and has not changed for longer than the configured limit. */
    public void stuckInstallTask(TableRow row) {
        sink.add(Finding.row(FindingKind.INSTALL_TASK_STUCK, row.table(), row.id(), null, null, row.tenantId(),
                ObservedVersion.row(row.changedAt()), row.detail()));
    }

    public void duplicates(DuplicateGroup group) {
        String consequence = "serverless_runtimes".equals(group.table())
                ? "; the daemon's unique index cannot be created until one remains, and without it the daemon's"
                        + " upsert of the runtime (ON CONFLICT (plugin_unique_identifier), since 0.6.10) fails, so"
                        + " installs of this serverless plugin fail"
                : "; the daemon's unique index cannot be created until one remains";
        sink.add(new Finding(FindingKind.DUPLICATE_ROWS, group.table(), group.ids().get(0), null, group.uid(),
                group.pluginId(), group.tenantId(), null,
                group.count() + " rows share " + group.keyDescription() + " (ids " + String.join(", ", group.ids())
                        + ")" + consequence,
                null)); // several rows, aggregated in PostgreSQL: no single version was observed
    }

    /**
     * An installation of the legacy global tenant on an identifier no workspace has installed.
     *
     * @param plugin the identifier's {@code plugins} row, null when there is none
     */
    public void legacyGlobalInstallation(InstallationRow row, PluginRow plugin) {
        if (grace.isYoung(row.changedAt())) {
            return; // already counted in the tally's young rows
        }
        sink.add(Finding.row(FindingKind.LEGACY_GLOBAL_INSTALLATION, "plugin_installations", row.id(), row.uid(),
                row.pluginId(), row.tenantId(), ObservedVersion.row(row.changedAt()),
                "installation of the legacy global tenant " + GlobalTenant.ID + " (written by daemons 0.3.0-0.4.1 with"
                        + " PLUGIN_ALLOW_ORPHANS, removed in 0.5.0) and no workspace has this identifier installed;"
                        + " expected no installation after the last workspace's uninstall; " + keptAlive(plugin, row.uid())
                        + ". In Dify no workspace lists this plugin and none can uninstall it"));
    }

    /** What an identifier's last installation keeps from the last uninstall's clean-up. */
    private static String keptAlive(PluginRow plugin, String uid) {
        if (plugin == null) {
            return "no plugins row exists for it (see installation_plugin_missing), so it keeps only itself and its"
                    + " category row";
        }
        String kept = switch (String.valueOf(plugin.installType())) {
            case "local" -> "the plugins row, the declaration and plugin/" + uid + " (install_type=local)";
            case "serverless" -> "the plugins row, the declaration and the serverless runtime (the deployed function;"
                    + " install_type=serverless)";
            default -> "the plugins row (install_type=" + plugin.installType() + ")";
        };
        return "it keeps refers at " + plugin.refers() + ", so the daemon never deletes " + kept;
    }
}
