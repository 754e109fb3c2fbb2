package dify.reconciler.remediate;

import dify.reconciler.catalog.FindingKind;
import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Remedies that change the rows the daemon's own transactions change together (section 5 and 9 of the daemon
 * notes), or that set a value measured outside the database. Each runs inside the action's transaction, begun
 * by the applier (READ COMMITTED, {@code SET LOCAL} timeouts): lock the rows in the daemon's order (the
 * {@code plugins} row first, as install and uninstall do), re-evaluate the finding, then quarantine every row
 * it removes or updates under the action's id and change them. A changed target yields a skip reason and the
 * caller rolls back; nothing is forced. The applier audits and commits.
 *
 * <ul>
 * <li>{@code tenant_storage_drift}: set {@code size} to the bytes the scan measured, only while the column still
 * holds the value the scan read (the store cannot be re-measured inside a transaction).</li>
 * <li>{@code installation_declaration_missing}: remove the installation and its category rows, as an uninstall
 * does, and set {@code plugins.refers} to the count left.</li>
 * <li>{@code declaration_unreferenced}: remove the declaration while no plugins row, installation or install in
 * flight uses its identifier.</li>
 * <li>{@code plugin_unreferenced}: as the last uninstall does, remove the {@code plugins} row with its declaration
 * and serverless runtime row.</li>
 * </ul>
 */
final class RowSetRemedies {

    private static final Set<FindingKind> KINDS = Set.of(FindingKind.TENANT_STORAGE_DRIFT,
            FindingKind.INSTALLATION_DECLARATION_MISSING, FindingKind.DECLARATION_UNREFERENCED, FindingKind.PLUGIN_UNREFERENCED);

    /**
     * What was done: {@code skip} non-null when nothing may be (the caller rolls back); {@code changed} every row
     * changed, as it was before (told to the cache clearing after the commit).
     */
    record Done(String skip, String before, String after, String detail, List<ChangedRow> changed) {

        static Done skipped(String reason) {
            return new Done(reason, null, null, null, List.of());
        }
    }

    /** One action's changes: each row quarantined under the action's id, then removed or updated, and remembered. */
    private final class Changes {
        private final String actionId;
        private final List<ChangedRow> rows = new ArrayList<>();

        Changes(String actionId) {
            this.actionId = actionId;
        }

        void remove(Connection c, String table, String id, String rowJson) throws SQLException {
            quarantine.put(c, actionId, RemedyAction.QUARANTINE_ROW, table, id, rowJson, null);
            delete(c, table, id);
            rows.add(ChangedRow.whole(table, rowJson));
        }

        /** @param column one of this class's literals ({@code size}, {@code refers}), never input */
        void set(Connection c, String table, String id, String rowJson, String column, long value) throws SQLException {
            quarantine.put(c, actionId, RemedyAction.UPDATE_ROW, table, id, rowJson, "{\"" + column + "\": " + value + "}");
            update(c, table, column, value, id);
            rows.add(new ChangedRow(table, rowJson, Set.of(column)));
        }

        List<ChangedRow> rows() {
            return List.copyOf(rows);
        }
    }

    /** A locked row: its JSON (row_to_json) and the columns the re-check reads. */
    private record Locked(String json, String id, List<String> values) {
    }

    private final WriteTransactions tx;
    private final QuarantineRows quarantine;

    RowSetRemedies(WriteTransactions tx, QuarantineRows quarantine) {
        this.tx = tx;
        this.quarantine = quarantine;
    }

    static boolean handles(FindingKind kind) {
        return KINDS.contains(kind);
    }

    Done apply(Connection c, PlannedAction a) throws SQLException {
        RowRecheck.requireTable(a);
        Changes changes = new Changes(a.id());
        return switch (a.kind()) {
            case TENANT_STORAGE_DRIFT -> tenantStorage(c, a, changes);
            case INSTALLATION_DECLARATION_MISSING -> installation(c, a, changes);
            case DECLARATION_UNREFERENCED -> declaration(c, a, changes);
            case PLUGIN_UNREFERENCED -> plugin(c, a, changes);
            default -> throw new IllegalArgumentException("no row-set remedy for " + a.kind().label());
        };
    }

    /** The absolute measured value, compared with the value the scan read: changed since means skipped. */
    private Done tenantStorage(Connection c, PlannedAction a, Changes changes) throws SQLException {
        List<Locked> rows = lockById(c, DaemonSchema.TENANT_STORAGES, a.rowId(),
                List.of("t.tenant_id::text", "t.plugin_id", "t.size::text"), Wait.WAIT);
        if (rows.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        Locked row = rows.get(0);
        if (!Objects.equals(row.values().get(0), a.tenantId()) || !Objects.equals(row.values().get(1), a.pluginId())) {
            return Done.skipped("the row's tenant or plugin id changed");
        }
        long size = Long.parseLong(row.values().get(2));
        if (size != a.observedValue()) {
            return Done.skipped("size is " + size + " now, not the " + a.observedValue() + " the scan compared: the daemon"
                    + " recorded a new size since");
        }
        // Only this column, so updated_at stays the daemon's.
        changes.set(c, DaemonSchema.TENANT_STORAGES, a.rowId(), row.json(), "size", a.targetValue());
        return new Done(null, "{\"size\": " + size + "}", "{\"size\": " + a.targetValue() + "}",
                "size " + size + " -> " + a.targetValue() + " (the bytes stored)", changes.rows());
    }

    /**
     * Uninstalls the plugin for one tenant, as the daemon's uninstall does: the plugins row locked first, then the
     * installation and its category rows removed, then refers set to the installations left (the daemon
     * decrements; we set the absolute count, section 9). At 0 the plugins row stays: removing it, its
     * declaration and object is the plugin_unreferenced remedy's step, re-checked on its own.
     */
    private Done installation(Connection c, PlannedAction a, Changes changes) throws SQLException {
        DaemonSchema s = tx.schema();
        String uid = a.pluginUniqueIdentifier();
        List<Locked> plugins = lockByIdentifier(c, DaemonSchema.PLUGINS, uid, List.of("t.refers::text"), Wait.WAIT);
        if (plugins.size() > 1) {
            return Done.skipped(plugins.size() + " plugins rows share this identifier (duplicate_rows): reported, not acted on");
        }
        List<Locked> found = lockById(c, DaemonSchema.INSTALLATIONS, a.rowId(),
                List.of("t.tenant_id::text", "t.plugin_id", "t.plugin_unique_identifier", "t.runtime_type"), Wait.after(plugins));
        if (found.isEmpty()) {
            return Done.skipped("the installation is gone");
        }
        Locked inst = found.get(0);
        if (!Objects.equals(inst.values().get(0), a.tenantId()) || !Objects.equals(inst.values().get(1), a.pluginId())
                || !Objects.equals(inst.values().get(2), uid)) {
            return Done.skipped("the installation's tenant, plugin id or identifier changed (upgraded since?)");
        }
        if ("remote".equals(inst.values().get(3))) {
            return Done.skipped("the installation is remote now: it needs no declaration row");
        }
        if (exists(c, "SELECT 1 FROM " + s.qualified(DaemonSchema.DECLARATIONS) + " WHERE plugin_unique_identifier = ?", uid)) {
            return Done.skipped("the declaration exists now");
        }
        List<Locked> categoryRows = new ArrayList<>();
        for (String table : DaemonSchema.CATEGORY_TABLES) {
            if (!s.hasTable(table)) {
                continue;
            }
            for (Locked r : lock(c, table, "t.tenant_id::text = ? AND t.plugin_id = ? AND t.plugin_unique_identifier = ?", List.of(),
                    Wait.NOWAIT,
                    a.tenantId(), a.pluginId(), uid)) {
                categoryRows.add(new Locked(r.json(), r.id(), List.of(table)));
            }
        }
        // Quarantined in the order restore reverses: it takes the newest first, so the plugins row (locked first, as
        // the daemon's install does) is restored first, then the installation, then its category rows.
        for (Locked r : categoryRows) {
            String table = r.values().get(0);
            changes.remove(c, table, r.id(), r.json());
        }
        changes.remove(c, a.table(), a.rowId(), inst.json());
        String detail = "installation and " + categoryRows.size() + " category row(s) moved to quarantine";
        if (plugins.isEmpty()) {
            return new Done(null, null, null, detail + "; no plugins row to adjust", changes.rows());
        }
        Locked plugin = plugins.get(0);
        long refers = plugin.values().get(0) == null ? 0 : Long.parseLong(plugin.values().get(0));
        long left = countInstallations(c, uid);
        if (refers == left) {
            return new Done(null, null, null, detail + "; refers " + refers + " already matches", changes.rows());
        }
        changes.set(c, DaemonSchema.PLUGINS, plugin.id(), plugin.json(), "refers", left);
        return new Done(null, "{\"refers\": " + refers + "}", "{\"refers\": " + left + "}",
                detail + "; refers " + refers + " -> " + left + (left == 0 ? " (the plugins row stays: plugin_unreferenced)" : ""),
                changes.rows());
    }

    /** A declaration no plugins row, installation or install in flight uses (the daemon deletes it at the last uninstall). */
    private Done declaration(Connection c, PlannedAction a, Changes changes) throws SQLException {
        DaemonSchema s = tx.schema();
        List<Locked> found = lockById(c, DaemonSchema.DECLARATIONS, a.rowId(), List.of("t.plugin_unique_identifier"), Wait.WAIT);
        if (found.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        String uid = a.pluginUniqueIdentifier();
        if (!Objects.equals(found.get(0).values().get(0), uid)) {
            return Done.skipped("the row's identifier changed");
        }
        if (exists(c, "SELECT 1 FROM " + s.qualified(DaemonSchema.PLUGINS) + " WHERE plugin_unique_identifier = ?", uid)) {
            return Done.skipped("a plugins row uses this identifier now (installed since)");
        }
        if (countInstallations(c, uid) > 0) {
            return Done.skipped("an installation uses this identifier now");
        }
        String inFlight = installInFlight(c, uid);
        if (inFlight != null) {
            return Done.skipped(inFlight);
        }
        changes.remove(c, a.table(), a.rowId(), found.get(0).json());
        return new Done(null, null, null, "declaration moved to quarantine", changes.rows());
    }

    /**
     * The rows of the daemon's last uninstall, in one transaction: the plugins row (locked first: install locks it
     * too, so no installation of it can commit while we hold it), its declaration and serverless runtime row.
     */
    private Done plugin(Connection c, PlannedAction a, Changes changes) throws SQLException {
        DaemonSchema s = tx.schema();
        String uid = a.pluginUniqueIdentifier();
        List<Locked> found = lockById(c, DaemonSchema.PLUGINS, a.rowId(), List.of("t.plugin_unique_identifier"), Wait.WAIT);
        if (found.isEmpty()) {
            return Done.skipped("the row is gone");
        }
        if (!Objects.equals(found.get(0).values().get(0), uid)) {
            return Done.skipped("the row's identifier changed");
        }
        if (exists(c, "SELECT 1 FROM " + s.qualified(DaemonSchema.PLUGINS) + " t WHERE t.plugin_unique_identifier = ? AND NOT ("
                + tx.idPredicate(c, DaemonSchema.PLUGINS) + ")", uid, a.rowId())) {
            return Done.skipped("another plugins row shares this identifier (duplicate_rows): reported, not acted on");
        }
        long installed = countInstallations(c, uid);
        if (installed > 0) {
            return Done.skipped(installed + " installation(s) use this identifier now");
        }
        String inFlight = installInFlight(c, uid);
        if (inFlight != null) {
            return Done.skipped(inFlight);
        }
        List<Locked> declarations = lockByIdentifier(c, DaemonSchema.DECLARATIONS, uid, List.of(), Wait.NOWAIT);
        List<Locked> runtimes = s.hasTable(DaemonSchema.SERVERLESS_RUNTIMES)
                ? lockByIdentifier(c, DaemonSchema.SERVERLESS_RUNTIMES, uid, List.of(), Wait.NOWAIT)
                : List.of();
        // Restore takes the newest first: declaration and runtime are back before the plugins row that needs them.
        changes.remove(c, a.table(), a.rowId(), found.get(0).json());
        for (Locked r : runtimes) {
            changes.remove(c, DaemonSchema.SERVERLESS_RUNTIMES, r.id(), r.json());
        }
        for (Locked r : declarations) {
            changes.remove(c, DaemonSchema.DECLARATIONS, r.id(), r.json());
        }
        return new Done(null, null, null, "plugins row, " + declarations.size() + " declaration(s) and " + runtimes.size()
                + " serverless runtime row(s) moved to quarantine; plugin/" + uid + " is left to installed_object_orphaned",
                changes.rows());
    }

    /**
     * The last look before commit, with every row still locked and changed: an install the daemon started since our
     * re-check (its task row is committed before it copies plugin/U and before its transaction, which now waits
     * behind our locks) makes us roll back, so its write wins. Null when the commit may go ahead.
     */
    String lastLook(Connection c, PlannedAction a) throws SQLException {
        return switch (a.kind()) {
            case PLUGIN_UNREFERENCED, DECLARATION_UNREFERENCED -> installInFlight(c, a.pluginUniqueIdentifier());
            default -> null;
        };
    }

    /** Why an install in flight may name the identifier, or null (see {@link InstallsInFlight}: fail closed). */
    private String installInFlight(Connection c, String uid) throws SQLException {
        return InstallsInFlight.reason(c, tx.schema(), uid);
    }

    private List<Locked> lockById(Connection c, String table, String id, List<String> columns, Wait wait) throws SQLException {
        return lock(c, table, tx.idPredicate(c, table), columns, wait, id);
    }

    private List<Locked> lockByIdentifier(Connection c, String table, String uid, List<String> columns, Wait wait)
            throws SQLException {
        return lock(c, table, "t.plugin_unique_identifier = ?", columns, wait, uid);
    }

    /**
     * Whether a lock may be waited for. Only the first lock of a transaction waits (up to lock_timeout); once we
     * hold one, every further lock is taken NOWAIT, so we never wait while holding a row: the daemon's upgrade
     * locks an installation and then its plugins rows, the reverse of its uninstall's order (ours), and a wait
     * of ours there could make the deadlock detector abort the daemon's transaction instead of ours.
     */
    private enum Wait {
        WAIT,
        NOWAIT;

        static Wait after(List<?> held) {
            return held.isEmpty() ? WAIT : NOWAIT;
        }
    }

    /** {@code SELECT … FOR UPDATE} in id order (a stable lock order); table from the allow-list, values bound. */
    private List<Locked> lock(Connection c, String table, String where, List<String> columns, Wait wait, String... params)
            throws SQLException {
        List<Locked> rows = new ArrayList<>();
        StringBuilder select = new StringBuilder("SELECT row_to_json(t)::text, t.id::text");
        columns.forEach(col -> select.append(", ").append(col)); // literals of this class
        try (PreparedStatement ps = c.prepareStatement(select + " FROM "
                + tx.schema().qualified(table) + " t WHERE " + where + " ORDER BY t.id FOR UPDATE"
                + (wait == Wait.NOWAIT ? " NOWAIT" : ""))) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> values = new ArrayList<>();
                    for (int i = 0; i < columns.size(); i++) {
                        values.add(rs.getString(3 + i));
                    }
                    rows.add(new Locked(rs.getString(1), rs.getString(2), values));
                }
            }
        }
        return rows;
    }

    private long countInstallations(Connection c, String uid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM " + tx.schema().qualified(DaemonSchema.INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ?")) {
            ps.setString(1, uid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static boolean exists(Connection c, String sql, String... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql + " LIMIT 1")) {
            for (int i = 0; i < params.length; i++) {
                ps.setString(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private void update(Connection c, String table, String column, long value, String id) throws SQLException {
        // column: one of two literals of this class, never input.
        String sql = "UPDATE " + tx.schema().qualified(table) + " t SET " + column + " = ? WHERE " + tx.idPredicate(c, table);
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, value);
            ps.setString(2, id);
            requireOne(ps.executeUpdate(), table);
        }
    }

    private void delete(Connection c, String table, String id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + tx.schema().qualified(table) + " t WHERE "
                + tx.idPredicate(c, table))) {
            ps.setString(1, id);
            requireOne(ps.executeUpdate(), table);
        }
    }

    private static void requireOne(int n, String table) {
        if (n != 1) {
            throw new IllegalStateException("expected to change 1 row of " + table + ", changed " + n);
        }
    }
}
