package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.InstallationTally;
import dify.reconciler.inventory.PluginRow;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks among the daemon's own tables that need no storage: {@code refers} against the real count (too low
 * is critical, too high a warning), unreferenced plugins, serverless runtimes, identifiers that fail the
 * daemon's rule. (Unreferenced declarations are reported with their package, by {@link PackageDetector}.)
 * It also decides which installation identifiers deserve a row-by-row look, so that only those rows are
 * read (the rest of {@code plugin_installations} is only ever aggregated in PostgreSQL).
 */
public final class DatabaseConsistencyDetector {

    private final GraceWindow grace;
    private final FindingSink sink;

    public DatabaseConsistencyDetector(GraceWindow grace, FindingSink sink) {
        this.grace = grace;
        this.sink = sink;
    }

    /** Identifier sets the row-level checks need; bounded by plugins and declarations, not installations. */
    public record Knowledge(Set<String> pluginUids, Set<String> declarationUids) {
    }

    public Knowledge knowledge(List<PluginRow> plugins, List<DeclarationRow> declarations) {
        Set<String> pluginUids = new HashSet<>();
        plugins.forEach(p -> pluginUids.add(p.uid()));
        Set<String> declarationUids = new HashSet<>();
        declarations.forEach(d -> declarationUids.add(d.uid()));
        return new Knowledge(pluginUids, declarationUids);
    }

    /**
     * @param tallies          installations per identifier (key null for rows whose identifier is NULL)
     * @param serverlessUids   identifiers in {@code serverless_runtimes}, or null when the table does not exist
     */
    public void detect(List<PluginRow> plugins, List<DeclarationRow> declarations, Map<String, InstallationTally> tallies,
            Set<String> serverlessUids, Knowledge knowledge) {
        int serverlessUnchecked = 0;
        for (PluginRow p : plugins) {
            if (grace.sparesRow(p.changedAt(), sink)) {
                continue;
            }
            ObservedVersion seen = ObservedVersion.row(p.changedAt());
            if (!PluginIdentifier.isValid(p.uid())) {
                sink.add(Finding.row(FindingKind.INVALID_IDENTIFIER_ROW, "plugins", p.id(), p.uid(), p.pluginId(), null,
                        seen, invalidDetail(p.uid())));
                continue;
            }
            InstallationTally tally = tallies.get(p.uid());
            long installed = tally == null ? 0 : tally.total();
            boolean settled = tally == null || tally.young() == 0;
            if (settled && p.refers() != installed) {
                sink.add(refersFinding(p, installed, tally == null ? 0 : tally.global(), seen));
            }
            if (installed == 0) {
                sink.add(Finding.row(FindingKind.PLUGIN_UNREFERENCED, "plugins", p.id(), p.uid(), p.pluginId(), null, seen,
                        "no plugin_installations row uses this identifier (install_type=" + p.installType() + ")"));
            }
            if (p.isServerless()) {
                if (serverlessUids == null) {
                    serverlessUnchecked++;
                } else if (!serverlessUids.contains(p.uid())) {
                    sink.add(Finding.row(FindingKind.SERVERLESS_RUNTIME_MISSING, "plugins", p.id(), p.uid(), p.pluginId(),
                            null, seen, "install_type=serverless but serverless_runtimes has no row for this identifier"));
                }
            }
        }
        if (serverlessUnchecked > 0) {
            sink.note(serverlessUnchecked + " serverless plugin(s) not checked: table serverless_runtimes does not exist");
        }
        for (DeclarationRow d : declarations) {
            if (grace.sparesRow(d.changedAt(), sink)) {
                continue;
            }
            ObservedVersion seen = ObservedVersion.row(d.changedAt());
            // An unreferenced (valid) declaration is reported by PackageDetector, with its package's last-modified.
            if (!PluginIdentifier.isValid(d.uid())) {
                sink.add(Finding.row(FindingKind.INVALID_IDENTIFIER_ROW, "plugin_declarations", d.id(), d.uid(),
                        d.pluginId(), null, seen, invalidDetail(d.uid())));
            }
        }
        tallies.values().forEach(t -> sink.rowsInGrace(t.young()));
    }

    /**
     * Identifiers whose installation rows must be read one by one: invalid ones, ones with no plugins row,
     * and ones with non-remote installations but no declaration.
     */
    public Set<String> suspectInstallationUids(Map<String, InstallationTally> tallies, Knowledge knowledge) {
        Set<String> suspects = new HashSet<>();
        for (InstallationTally t : tallies.values()) {
            String uid = t.uid();
            boolean suspect = !PluginIdentifier.isValid(uid)
                    || !knowledge.pluginUids().contains(uid)
                    || (t.total() > t.remote() && !knowledge.declarationUids().contains(uid));
            if (suspect) {
                suspects.add(uid);
            }
        }
        return suspects;
    }

    /**
     * Identifiers whose only installations are the legacy global tenant's (a handful at most): their rows are read
     * one by one and reported as {@link FindingKind#LEGACY_GLOBAL_INSTALLATION}.
     */
    public Set<String> onlyGloballyInstalledUids(Map<String, InstallationTally> tallies) {
        Set<String> uids = new HashSet<>();
        for (InstallationTally t : tallies.values()) {
            if (t.onlyGlobal() && PluginIdentifier.isValid(t.uid())) {
                uids.add(t.uid());
            }
        }
        return uids;
    }

    /**
     * Too low is critical: uninstall decrements refers and at 0 deletes the shared plugins row, the declaration
     * and {@code plugin/U} for everyone, so the other tenants' installations break. Too high only keeps them
     * alive after the last uninstall.
     */
    private static Finding refersFinding(PluginRow p, long installed, long global, ObservedVersion seen) {
        // The legacy global tenant's rows count: the daemon incremented refers for them like for any install.
        String counts = "refers is " + p.refers() + " but " + installed + " installation(s) use this identifier"
                + (global == 0 ? "" : " (" + global + " of them the legacy global tenant's, counted as the daemon counts them)");
        if (p.refers() < installed) {
            return Finding.row(FindingKind.REFERS_TOO_LOW, "plugins", p.id(), p.uid(), p.pluginId(), null, seen, counts
                    + "; an uninstall that brings refers to 0 deletes the shared plugins row, declaration and installed"
                    + " object while other tenants still use them");
        }
        return Finding.row(FindingKind.REFERS_DRIFT, "plugins", p.id(), p.uid(), p.pluginId(), null, seen, counts);
    }

    public static String invalidDetail(String uid) {
        return "identifier " + (uid == null ? "NULL" : "'" + uid + "'")
                + " does not match the daemon's rule [author/]name:version@checksum; the daemon answers HTTP 400";
    }
}
