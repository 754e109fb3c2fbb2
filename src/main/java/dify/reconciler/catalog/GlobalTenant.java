package dify.reconciler.catalog;

/**
 * The "global" tenant of daemons 0.3.0 to 0.4.1. With {@code PLUGIN_ALLOW_ORPHANS} (serverless only) every
 * install also installed the plugin for this tenant, through the ordinary install transaction ({@code refers}
 * incremented, an installation row and its category row), so that the plugin would outlive its last workspace.
 * No workspace has this id and no UI can uninstall it. Daemon 0.5.0 removed the feature (#510) but not the rows.
 */
public final class GlobalTenant {

    /** The daemon's {@code constants.GlobalTenantId}, as PostgreSQL prints a uuid (lower case). */
    public static final String ID = "00000000-0000-0000-0000-000000000000";

    private GlobalTenant() {
    }
}
