package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.DuplicateGroup;
import dify.reconciler.inventory.InstallationRow;
import dify.reconciler.inventory.TableRow;

/**
 * Row-at-a-time checks on rows PostgreSQL has already narrowed down (suspect installations, category rows
 * without an installation, endpoints without an installation, duplicates, stuck tasks).
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
        sink.add(new Finding(FindingKind.DUPLICATE_ROWS, group.table(), group.ids().get(0), null, group.uid(),
                group.pluginId(), group.tenantId(), null,
                group.count() + " rows share " + group.keyDescription() + " (ids " + String.join(", ", group.ids())
                        + "); the daemon's unique index cannot be created until one remains",
                null)); // several rows, aggregated in PostgreSQL: no single version was observed
    }
}
