package dify.reconciler.catalog;

import java.util.Locale;

/**
 * The catalog of drift between the plugin daemon's tables and its bucket. Names and severities are a
 * public contract: they appear in reports, metric labels, alert rules and the runbook.
 */
public enum FindingKind {
    INVALID_INSTALLED_KEY(Severity.CRITICAL),
    INSTALLED_OBJECT_MISSING(Severity.CRITICAL),
    PACKAGE_MISSING(Severity.CRITICAL),
    INSTALLATION_DECLARATION_MISSING(Severity.CRITICAL),
    INVALID_IDENTIFIER_ROW(Severity.CRITICAL),
    DUPLICATE_ROWS(Severity.CRITICAL),
    /**
     * {@code plugins.refers} below the number of installations (also {@code refers <= 0} with installations):
     * the daemon deletes the shared row, the declaration and {@code plugin/U} when an uninstall brings refers to
     * 0, so one tenant's uninstall breaks every other tenant of the plugin.
     */
    REFERS_TOO_LOW(Severity.CRITICAL),
    INSTALLED_OBJECT_ORPHANED(Severity.WARNING),
    INSTALLATION_PLUGIN_MISSING(Severity.WARNING),
    /** {@code plugins.refers} above the number of installations: the row, object and runtime outlive the last uninstall. */
    REFERS_DRIFT(Severity.WARNING),
    PLUGIN_UNREFERENCED(Severity.WARNING),
    CATEGORY_ROW_ORPHANED(Severity.WARNING),
    SERVERLESS_RUNTIME_MISSING(Severity.WARNING),
    ASSET_MISSING(Severity.WARNING),
    CHECKSUM_MISMATCH(Severity.CRITICAL),
    INSTALLED_COPY_DIFFERS(Severity.WARNING),
    PACKAGE_ORPHANED(Severity.INFO),
    ASSET_ORPHANED(Severity.INFO),
    DECLARATION_UNREFERENCED(Severity.INFO),
    ENDPOINT_ORPHANED(Severity.INFO),
    TENANT_STORAGE_DRIFT(Severity.INFO),
    INSTALL_TASK_STUCK(Severity.INFO),
    /**
     * A {@code plugin_installations} row of the legacy global tenant ({@link GlobalTenant#ID}, written by daemons
     * 0.3.0-0.4.1 with {@code PLUGIN_ALLOW_ORPHANS}) on an identifier no workspace has installed: it holds
     * {@code refers} at 1 or more, so the plugin lives on for nobody. Report-only.
     */
    LEGACY_GLOBAL_INSTALLATION(Severity.INFO),
    /**
     * A folder of the daemon's working path ({@code PLUGIN_WORKING_PATH}, one per node) whose identifier has no
     * {@code plugins} row: the last uninstall leaves it (daemon#797). Node-local; only scanned when
     * {@code reconciler.working-path} is set.
     */
    WORKING_DIR_ORPHANED(Severity.INFO),
    /**
     * The working folder of an installed local plugin whose Python environment cannot run (dangling interpreter,
     * missing standard library, no dependency file, unfinished set-up). Node-local, like {@link #WORKING_DIR_ORPHANED}.
     */
    WORKING_DIR_BROKEN(Severity.WARNING),
    /**
     * An installed declaration that Dify's API cannot parse: since Dify 1.17 one such declaration fails the whole
     * management list (Tools, Models, ...) it is in, for every workspace that installed the plugin. Report-only: the
     * fix is a plugin version with a valid declaration.
     */
    DECLARATION_INVALID(Severity.CRITICAL),
    /**
     * Installations, category rows, endpoints or {@code tenant_storages} rows of a workspace that Dify's own
     * {@code tenants} table no longer has: deleting a workspace in Dify leaves its plugins installed, {@code refers}
     * pinned and the objects and runtimes alive. Checked only when {@code reconciler.dify-database} is set.
     */
    INSTALLATION_TENANT_MISSING(Severity.WARNING);

    private final Severity severity;

    FindingKind(Severity severity) {
        this.severity = severity;
    }

    public Severity severity() {
        return severity;
    }

    /** The stable snake_case name, e.g. {@code package_missing}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FindingKind parse(String label) {
        for (FindingKind k : values()) {
            if (k.label().equalsIgnoreCase(label == null ? "" : label.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown finding kind '" + label + "'");
    }
}
