package dify.reconciler.remediate.rows;

import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.rows.RowRemedy.Done;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The daemon's uninstall, as the remedies that uninstall share it ({@link UninstallForTenantRemedy},
 * {@link GlobalTenantInstallationRemedy}, {@link DeletedWorkspaceRemedy}): the {@code plugins} rows of the identifiers
 * locked first (the daemon's lock order), an identifier with more than one refused (duplicate_rows); then, once the
 * remedy has locked and re-checked what it removes, those rows quarantined in the order restore reverses (restore
 * takes the newest first: refers, then the installations, then the other rows come back) and each identifier's
 * {@code refers} set to the installations left, counted as the daemon counts (the absolute count, section 9). At 0
 * the plugins row stays: removing it is plugin_unreferenced's step, re-checked on its own.
 */
final class Uninstall {

    /** The locked plugins row of each identifier (one without a row is absent), or why not to act. */
    record PluginRows(Map<String, DaemonRowReads.Locked> byIdentifier, String refused) {
    }

    /** One identifier's refers as read under the lock, and the installations left after the removal. */
    record Recount(String identifier, long refers, long left) {

        boolean changed() {
            return refers != left;
        }
    }

    private Uninstall() {
    }

    /**
     * Locks the plugins rows of {@code identifiers} (in their order: sorted, a stable lock order); adds what it locks
     * to {@code held}, so only the transaction's first lock waits.
     */
    static PluginRows lockPlugins(Connection c, RowChanges changes, Collection<String> identifiers, List<DaemonRowReads.Locked> held)
            throws SQLException {
        Map<String, DaemonRowReads.Locked> plugins = new LinkedHashMap<>();
        for (String uid : identifiers) {
            List<DaemonRowReads.Locked> rows = changes.lockByIdentifier(c, DaemonSchema.PLUGINS, uid, List.of("t.refers::text"),
                    DaemonRowReads.Wait.after(held));
            if (rows.size() > 1) {
                return new PluginRows(Map.of(), rows.size() + " plugins rows share " + uid + " (duplicate_rows): reported, not acted on");
            }
            held.addAll(rows);
            rows.forEach(r -> plugins.put(uid, r));
        }
        return new PluginRows(plugins, null);
    }

    /** Locks (not waiting: the plugins rows are held) the category rows {@code where} selects; each row's table first. */
    static List<DaemonRowReads.Locked> lockCategoryRows(Connection c, RowChanges changes, String where, String... params)
            throws SQLException {
        List<DaemonRowReads.Locked> out = new ArrayList<>();
        for (String table : DaemonSchema.CATEGORY_TABLES) {
            if (changes.schema().hasTable(table)) {
                for (DaemonRowReads.Locked r : changes.lock(c, table, where, List.of(), DaemonRowReads.Wait.NOWAIT, params)) {
                    out.add(new DaemonRowReads.Locked(r.json(), r.id(), List.of(table)));
                }
            }
        }
        return out;
    }

    /**
     * Quarantines and removes {@code others} (each row's first value its table), then {@code installations}, then
     * sets each locked plugins row's refers to the installations left where it differs.
     */
    static List<Recount> removeAndRecount(Connection c, RowChanges changes, List<DaemonRowReads.Locked> others,
            List<DaemonRowReads.Locked> installations, Map<String, DaemonRowReads.Locked> plugins) throws SQLException {
        for (DaemonRowReads.Locked r : others) {
            changes.remove(c, r.values().get(0), r.id(), r.json());
        }
        for (DaemonRowReads.Locked r : installations) {
            changes.remove(c, DaemonSchema.INSTALLATIONS, r.id(), r.json());
        }
        List<Recount> recounts = new ArrayList<>();
        for (Map.Entry<String, DaemonRowReads.Locked> e : plugins.entrySet()) {
            DaemonRowReads.Locked plugin = e.getValue();
            long refers = plugin.values().get(0) == null ? 0 : Long.parseLong(plugin.values().get(0)); // NULL is Go's 0
            Recount r = new Recount(e.getKey(), refers, changes.countInstallations(c, e.getKey()));
            if (r.changed()) {
                changes.set(c, DaemonSchema.PLUGINS, plugin.id(), plugin.json(), "refers", r.left());
            }
            recounts.add(r);
        }
        return recounts;
    }

    /** What an uninstall of one identifier did: {@code detail} and its refers change, if any. */
    static Done oneIdentifier(String detail, List<Recount> recounts, RowChanges changes) {
        if (recounts.isEmpty()) {
            return new Done(null, null, null, detail + "; no plugins row to adjust", changes.rows());
        }
        Recount r = recounts.get(0);
        if (!r.changed()) {
            return new Done(null, null, null, detail + "; refers " + r.refers() + " already matches", changes.rows());
        }
        return new Done(null, "{\"refers\": " + r.refers() + "}", "{\"refers\": " + r.left() + "}", detail + "; refers " + r.refers()
                + " -> " + r.left() + (r.left() == 0 ? " (the plugins row stays: plugin_unreferenced)" : ""), changes.rows());
    }
}
