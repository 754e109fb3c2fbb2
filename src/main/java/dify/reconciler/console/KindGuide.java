package dify.reconciler.console;

import dify.reconciler.catalog.FindingKind;
import java.util.EnumMap;
import java.util.Map;

/**
 * For each finding kind, what a Dify user sees while it is present (the runbook's words, shortened) and the section
 * of {@code docs/runbook.md} that says what to do. The console shows both next to each finding; a test checks that
 * every kind has an entry and that each anchor is a heading of the runbook whose section names the kind.
 */
public final class KindGuide {

    /** One kind's entry: what users see, and the runbook anchor (without {@code #}). */
    public record Entry(String userSees, String runbookAnchor) {
    }

    static final String CRITICAL = "pluginreconcilercriticalfindings";
    static final String WARNING = "pluginreconcilerwarningfindingspersist";
    static final String WORKING_PATH = "working-path-findings";
    static final String INFO = "info-findings";

    private static final Map<FindingKind, Entry> ENTRIES = new EnumMap<>(FindingKind.class);

    static {
        put(FindingKind.INVALID_INSTALLED_KEY, "the daemon logs 'plugin_unique_identifier is not valid' every 30 s", CRITICAL);
        put(FindingKind.INSTALLED_OBJECT_MISSING, "'no available node, plugin runtime not found'; reinstalling does not help",
                CRITICAL);
        put(FindingKind.PACKAGE_MISSING, "upgrade fails with 'failed to get package file'; launch fails with 'get plugin package"
                + " error'", CRITICAL);
        put(FindingKind.INSTALLATION_DECLARATION_MISSING, "the workspace's whole plugin list fails with 'plugin not found'",
                CRITICAL);
        put(FindingKind.INVALID_IDENTIFIER_ROW, "HTTP 400 on dispatch; the workspace's plugin list fails", CRITICAL);
        put(FindingKind.DUPLICATE_ROWS, "nothing until the next daemon upgrade, which cannot create its unique index and does not"
                + " start", CRITICAL);
        put(FindingKind.REFERS_TOO_LOW, "nothing yet; the next uninstall that brings refers to 0 deletes the plugin for every"
                + " other workspace ('plugin not found')", CRITICAL);
        put(FindingKind.CHECKSUM_MISMATCH, "the plugin fails to launch (corrupted or truncated package)", CRITICAL);
        put(FindingKind.DECLARATION_INVALID, "since Dify 1.17 the Tools, Models, Agent strategies, Datasources or Triggers page of"
                + " every workspace that installed the plugin is empty", CRITICAL);
        put(FindingKind.INSTALLED_OBJECT_ORPHANED, "nothing; the daemon logs 'Plugin table missing for existing"
                + " PLUGIN_INSTALLED_PATH' every 30 s and the object costs storage", WARNING);
        put(FindingKind.INSTALLATION_PLUGIN_MISSING, "the plugin shows as installed but cannot run ('plugin not found')", WARNING);
        put(FindingKind.REFERS_DRIFT, "nothing; the plugin, its object and runtime outlive the last uninstall", WARNING);
        put(FindingKind.PLUGIN_UNREFERENCED, "nothing; a runtime is kept alive for no workspace", WARNING);
        put(FindingKind.CATEGORY_ROW_ORPHANED, "a tool, model, strategy, datasource or trigger listed without its plugin", WARNING);
        put(FindingKind.SERVERLESS_RUNTIME_MISSING, "the serverless plugin cannot be invoked", WARNING);
        put(FindingKind.ASSET_MISSING, "a broken plugin icon", WARNING);
        put(FindingKind.INSTALLED_COPY_DIFFERS, "the running copy is not the uploaded package (a later relaunch may change"
                + " behaviour)", WARNING);
        put(FindingKind.WORKING_DIR_BROKEN, "the plugin fails to start on that daemon node", WORKING_PATH);
        put(FindingKind.WORKING_DIR_ORPHANED, "nothing; disk space on one daemon node", WORKING_PATH);
        put(FindingKind.INSTALLATION_TENANT_MISSING, "nothing (the workspace is gone); its plugins stay installed and keep"
                + " refers pinned", "installation_tenant_missing");
        put(FindingKind.LEGACY_GLOBAL_INSTALLATION, "nothing; the plugin lives on for no workspace",
                "legacy-global-installations-legacy_global_installation");
        put(FindingKind.PACKAGE_ORPHANED, "nothing; storage only (an upload never installed)", INFO);
        put(FindingKind.ASSET_ORPHANED, "nothing; storage only", INFO);
        put(FindingKind.DECLARATION_UNREFERENCED, "nothing; a declaration no plugin row uses", INFO);
        put(FindingKind.ENDPOINT_ORPHANED, "an endpoint listed for a plugin the workspace no longer has; calling it fails", INFO);
        put(FindingKind.TENANT_STORAGE_DRIFT, "a wrong storage figure for the plugin in the workspace", INFO);
        put(FindingKind.INSTALL_TASK_STUCK, "an install that stays 'installing' in the Plugins page", INFO);
    }

    private KindGuide() {
    }

    private static void put(FindingKind kind, String userSees, String anchor) {
        ENTRIES.put(kind, new Entry(userSees, anchor));
    }

    /** The entry of a kind; every kind has one (a test checks it). */
    public static Entry of(FindingKind kind) {
        Entry e = ENTRIES.get(kind);
        if (e == null) {
            throw new IllegalStateException("no console guide for finding kind " + kind.label());
        }
        return e;
    }
}
