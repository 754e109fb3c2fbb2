package dify.reconciler.catalog;

import java.util.Locale;

/**
 * The catalog of drift between the plugin daemon's tables and its bucket. Names and severities are a
 * public contract: they appear in reports, metric labels, alert rules and the runbook.
 */
public enum FindingKind {
    INVALID_INSTALLED_KEY(Severity.CRITICAL, false),
    INSTALLED_OBJECT_MISSING(Severity.CRITICAL, false),
    PACKAGE_MISSING(Severity.CRITICAL, false),
    INSTALLATION_DECLARATION_MISSING(Severity.CRITICAL, false),
    INVALID_IDENTIFIER_ROW(Severity.CRITICAL, false),
    DUPLICATE_ROWS(Severity.CRITICAL, false),
    /**
     * {@code plugins.refers} below the number of installations (also {@code refers <= 0} with installations):
     * the daemon deletes the shared row, the declaration and {@code plugin/U} when an uninstall brings refers to
     * 0, so one tenant's uninstall breaks every other tenant of the plugin.
     */
    REFERS_TOO_LOW(Severity.CRITICAL, false),
    INSTALLED_OBJECT_ORPHANED(Severity.WARNING, false),
    INSTALLATION_PLUGIN_MISSING(Severity.WARNING, false),
    /** {@code plugins.refers} above the number of installations: the row, object and runtime outlive the last uninstall. */
    REFERS_DRIFT(Severity.WARNING, false),
    PLUGIN_UNREFERENCED(Severity.WARNING, false),
    CATEGORY_ROW_ORPHANED(Severity.WARNING, false),
    SERVERLESS_RUNTIME_MISSING(Severity.WARNING, false),
    ASSET_MISSING(Severity.WARNING, false),
    CHECKSUM_MISMATCH(Severity.CRITICAL, true),
    INSTALLED_COPY_DIFFERS(Severity.WARNING, true),
    PACKAGE_ORPHANED(Severity.INFO, false),
    ASSET_ORPHANED(Severity.INFO, false),
    DECLARATION_UNREFERENCED(Severity.INFO, false),
    ENDPOINT_ORPHANED(Severity.INFO, false),
    TENANT_STORAGE_DRIFT(Severity.INFO, false),
    INSTALL_TASK_STUCK(Severity.INFO, false);

    private final Severity severity;
    private final boolean deepVerifyOnly;

    FindingKind(Severity severity, boolean deepVerifyOnly) {
        this.severity = severity;
        this.deepVerifyOnly = deepVerifyOnly;
    }

    public Severity severity() {
        return severity;
    }

    /** True for kinds that need the package bytes, detected only with {@code reconciler.deep-verify=true}. */
    public boolean deepVerifyOnly() {
        return deepVerifyOnly;
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
