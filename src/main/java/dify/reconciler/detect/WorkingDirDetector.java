package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.workdir.EnvironmentCheck;
import dify.reconciler.inventory.workdir.PluginFolder;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Judges the plugin folders of one node's working path against the {@code plugins} rows: a folder without a row
 * is {@code working_dir_orphaned} (its bytes counted), the folder of an installed local plugin whose Python
 * environment cannot run is {@code working_dir_broken}. Folders changed within the grace period (an install or
 * uninstall in flight) are counted, not judged. The folder's reads happen in {@link PluginFolder}, only where a
 * verdict needs them: bytes of orphans, environment checks of installed local plugins.
 */
public final class WorkingDirDetector {

    private final Map<String, PluginRow> pluginsByUid = new HashMap<>();
    private final String node;
    private final GraceWindow grace;
    private final FindingSink sink;
    private long inGrace;
    private long notFollowed;
    private long orphanedBytes;

    /** @param plugins the {@code plugins} rows (already in memory for the scan: one per installed identifier) */
    public WorkingDirDetector(List<PluginRow> plugins, String node, GraceWindow grace, FindingSink sink) {
        for (PluginRow row : plugins) {
            if (row.uid() != null) {
                pluginsByUid.putIfAbsent(row.uid(), row);
            }
        }
        this.node = node;
        this.grace = grace;
        this.sink = sink;
    }

    public void inspect(PluginFolder folder) throws IOException {
        Instant changed = folder.lastChanged();
        if (grace.sparesObject(changed, sink)) {
            inGrace++;
            return;
        }
        PluginRow row = pluginsByUid.get(folder.uid());
        if (row == null) {
            long bytes = folder.bytes();
            orphanedBytes += bytes;
            sink.add(finding(FindingKind.WORKING_DIR_ORPHANED, folder, bytes, changed, "working folder " + folder.relativePath()
                    + " on node " + node + " holds " + bytes + " bytes for " + folder.uid()
                    + ", which has no plugins row (expected: a folder only for identifiers the daemon has installed);"
                    + " left by the last uninstall (daemon#797): nothing in Dify uses it, it only takes space"));
            return;
        }
        if (!row.isLocal()) {
            return;
        }
        EnvironmentCheck check = folder.environment();
        if (check.notFollowed()) {
            notFollowed++;
        }
        if (check.broken()) {
            sink.add(finding(FindingKind.WORKING_DIR_BROKEN, folder, null, changed, "working folder " + folder.relativePath()
                    + " on node " + node + " of the installed local plugin " + folder.uid()
                    + " (expected: a Python environment the daemon can run): " + String.join("; ", check.problems())
                    + ". Users see the plugin's tools and models fail on this node (\"plugin runtime not found\" or the"
                    + " plugin's start-up error in the daemon's log) until the daemon rebuilds the environment"));
        }
    }

    private static Finding finding(FindingKind kind, PluginFolder folder, Long bytes, Instant changed, String detail) {
        ObservedVersion observed = new ObservedVersion(null, bytes, changed, null);
        return new Finding(kind, null, null, folder.relativePath(), folder.uid(), PluginIdentifier.pluginIdOf(folder.uid()),
                null, bytes, detail, observed);
    }

    /** Folders changed within the grace period: counted, not judged. */
    public long inGrace() {
        return inGrace;
    }

    /** Environments with a link or {@code home} outside the working path (in the daemon's container): that part not judged. */
    public long notFollowed() {
        return notFollowed;
    }

    /** Bytes of all {@code working_dir_orphaned} folders. */
    public long orphanedBytes() {
        return orphanedBytes;
    }
}
