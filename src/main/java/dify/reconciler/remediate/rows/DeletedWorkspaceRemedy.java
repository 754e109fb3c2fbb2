package dify.reconciler.remediate.rows;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.inventory.postgres.DaemonSchema;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.plan.ScanCounts;
import dify.reconciler.remediate.write.DaemonRowReads;
import dify.reconciler.remediate.write.DifyWorkspaces;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code installation_tenant_missing}: the uninstall Dify never sent for a deleted workspace, one workspace per
 * action. As the daemon's uninstall: the {@code plugins} rows of the workspace's identifiers locked first, then its
 * installations and category rows quarantined and each identifier's {@code refers} set to the installations left (at
 * 0 the plugins row stays: plugin_unreferenced's step). Beyond an uninstall, which leaves them, the workspace's
 * endpoints and {@code tenant_storages} rows are quarantined too: nothing reads them without an installation of the
 * workspace, and left alone they would keep the finding open for ever. The persistence objects they account for are
 * not touched.
 *
 * <p>Re-checked where it acts: Dify's {@code tenants} is read first, holding no lock of the daemon's
 * ({@link DifyWorkspaces}: the workspace still missing, the table the right one); then the daemon's rows are locked and
 * re-read in the action's transaction: the identifiers installed are the ones looked at, and no row changed since the
 * scan (the plan carries the latest change time the scan saw, as epoch milliseconds in {@code observedValue}).
 */
public final class DeletedWorkspaceRemedy extends RowSetRemedy {

    /** How many other workspaces of the daemon's are looked up in Dify's tenants to recognise its database. */
    static final int OTHER_WORKSPACES_SAMPLED = 100;

    private static final String UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    @Override
    public Set<FindingKind> kinds() {
        return Set.of(FindingKind.INSTALLATION_TENANT_MISSING);
    }

    @Override
    public RemedyAction action() {
        return RemedyAction.QUARANTINE_ROW;
    }

    /** One action per workspace; measured on installations, the rows that keep plugins alive. */
    @Override
    public long population(FindingKind kind, ScanCounts counts) {
        return counts.rowsOf(DaemonSchema.INSTALLATIONS);
    }

    /** The latest change among the workspace's rows as the scan read them: a row changed since is not acted on. */
    @Override
    public PlannedAction plan(Finding f, String id, StorageLayout layout) {
        Long changed = f.observed() == null || f.observed().changedAt() == null ? null : f.observed().changedAt().toEpochMilli();
        return new PlannedAction(id, f.kind(), action(), f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                f.detail(), null, null, null, changed, null);
    }

    /** The finding names Dify's {@code tenants} and the workspace id; the global tenant is no workspace. */
    @Override
    boolean tableAllowed(PlannedAction a) {
        return "tenants".equals(a.table()) && a.rowId() != null && a.rowId().equals(a.tenantId()) && !a.rowId().isBlank()
                && !GlobalTenant.ID.equalsIgnoreCase(a.rowId()) && a.targetValue() == null;
    }

    @Override
    Done changeRows(Connection c, PlannedAction a, RowChanges changes) throws SQLException {
        DaemonSchema s = changes.schema();
        String tenant = a.rowId();
        boolean uuidShaped = tenant.matches(UUID_TEXT);
        // Dify first, holding nothing of the daemon's: its answer takes a connection and a round trip (seconds when
        // Dify's server is slow), and a lock of ours would queue the daemon's migration and every query behind it.
        // The sample is read in a savepoint rolled back at once, which releases even its ACCESS SHARE table lock.
        List<String> otherWorkspaces;
        Savepoint sample = c.setSavepoint();
        try {
            otherWorkspaces = otherWorkspaces(c, changes, tenant);
        } finally {
            c.rollback(sample);
        }
        String notMissing = changes.difyWorkspaces().whyNotMissing(tenant, otherWorkspaces);
        if (notMissing != null) {
            return Done.skipped(notMissing);
        }
        Set<String> uids = uuidShaped ? installedUids(c, changes, tenant) : Set.of();
        List<DaemonRowReads.Locked> held = new ArrayList<>();
        Uninstall.PluginRows plugins = Uninstall.lockPlugins(c, changes, uids, held); // sorted: a stable lock order
        if (plugins.refused() != null) {
            return Done.skipped(plugins.refused());
        }
        List<DaemonRowReads.Locked> installations = new ArrayList<>();
        List<DaemonRowReads.Locked> others = new ArrayList<>();
        if (uuidShaped) {
            installations.addAll(lockRows(c, changes, DaemonSchema.INSTALLATIONS, "t.tenant_id = CAST(? AS uuid)",
                    List.of("t.plugin_unique_identifier"), held, tenant));
            for (DaemonRowReads.Locked i : installations) {
                String uid = i.values().get(1);
                if (uid == null || !uids.contains(uid)) {
                    return Done.skipped("the workspace has an installation of " + uid + " now: changed since");
                }
            }
            for (String table : DaemonSchema.CATEGORY_TABLES) {
                if (s.hasTable(table)) {
                    others.addAll(lockRows(c, changes, table, "t.tenant_id = CAST(? AS uuid)", List.of(), held, tenant));
                }
            }
        }
        // endpoints and tenant_storages keep the tenant as text: matched in the spelling the scan grouped it by.
        String asText = "(CASE WHEN t.tenant_id::text ~ ? THEN lower(t.tenant_id::text) ELSE t.tenant_id::text END) = ?";
        for (String table : List.of(DaemonSchema.ENDPOINTS, DaemonSchema.TENANT_STORAGES)) {
            if (s.hasTable(table)) {
                others.addAll(lockRows(c, changes, table, asText, List.of(), held, UUID_TEXT, tenant));
            }
        }
        if (installations.isEmpty() && others.isEmpty()) {
            return Done.skipped("the workspace's rows are gone");
        }
        String changed = changedSince(a, installations, others);
        if (changed != null) {
            return Done.skipped(changed);
        }
        Map<String, String> before = new LinkedHashMap<>();
        Map<String, String> after = new LinkedHashMap<>();
        for (Uninstall.Recount r : Uninstall.removeAndRecount(c, changes, others, installations, plugins.byIdentifier())) {
            if (r.changed()) {
                before.put(r.identifier(), Long.toString(r.refers()));
                after.put(r.identifier(), Long.toString(r.left()));
            }
        }
        String detail = installations.size() + " installation(s) and " + others.size()
                + " category, endpoint and tenant_storages row(s) of the deleted workspace moved to quarantine; refers set on "
                + before.size() + " plugins row(s)";
        return new Done(null, before.isEmpty() ? null : refersJson(before), after.isEmpty() ? null : refersJson(after), detail,
                changes.rows());
    }

    /** Workspaces other than this one that the daemon has installations for (the global tenant is none). */
    private static List<String> otherWorkspaces(Connection c, DaemonRowReads reads, String tenant) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT tenant_id::text FROM "
                + reads.qualified(DaemonSchema.INSTALLATIONS) + " WHERE tenant_id::text <> ? AND tenant_id::text <> ? LIMIT "
                + OTHER_WORKSPACES_SAMPLED)) {
            ps.setString(1, tenant);
            ps.setString(2, GlobalTenant.ID);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static Set<String> installedUids(Connection c, DaemonRowReads reads, String tenant) throws SQLException {
        Set<String> uids = new TreeSet<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT plugin_unique_identifier FROM "
                + reads.qualified(DaemonSchema.INSTALLATIONS) + " WHERE tenant_id = CAST(? AS uuid)")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getString(1) != null) {
                        uids.add(rs.getString(1));
                    }
                }
            }
        }
        return uids;
    }

    /**
     * Locks a table's rows of the workspace; each row's values: its table, then {@code columns}, then its change
     * time as epoch milliseconds (null when it has none).
     */
    private static List<DaemonRowReads.Locked> lockRows(Connection c, DaemonRowReads reads, String table, String where,
            List<String> columns, List<DaemonRowReads.Locked> held, String... params) throws SQLException {
        List<String> selected = new ArrayList<>();
        selected.add("'" + table + "'"); // a name from DaemonSchema's allow-list, never input
        selected.addAll(columns);
        selected.add("floor(extract(epoch FROM " + changedAt(reads.schema(), table) + ") * 1000)::bigint::text");
        List<DaemonRowReads.Locked> rows = reads.lock(c, table, where, selected, DaemonRowReads.Wait.after(held), params);
        held.addAll(rows);
        return rows;
    }

    /** Why a row locked now is newer than the latest change the scan saw; null when none is. */
    private static String changedSince(PlannedAction a, List<DaemonRowReads.Locked> installations,
            List<DaemonRowReads.Locked> others) {
        List<DaemonRowReads.Locked> all = new ArrayList<>(installations);
        all.addAll(others);
        for (DaemonRowReads.Locked r : all) {
            String millis = r.values().get(r.values().size() - 1);
            if (millis != null && (a.observedValue() == null || Long.parseLong(millis) > a.observedValue())) {
                return r.values().get(0) + " row " + r.id() + " of the workspace changed since the scan";
            }
        }
        return null;
    }

    /** When a row last changed, from the columns the table has (as the scan measures it). */
    private static String changedAt(DaemonSchema s, String table) {
        boolean created = s.hasColumn(table, "created_at");
        boolean updated = s.hasColumn(table, "updated_at");
        if (created && updated) {
            return "greatest(t.created_at, t.updated_at)";
        }
        return created ? "t.created_at" : updated ? "t.updated_at" : "CAST(NULL AS timestamptz)";
    }

    private static String refersJson(Map<String, String> values) {
        StringBuilder b = new StringBuilder("{\"refers\": {");
        values.forEach((uid, v) -> b.append(b.charAt(b.length() - 1) == '{' ? "" : ", ").append('"')
                .append(uid.replace("\\", "\\\\").replace("\"", "\\\"")).append("\": ")
                .append(v));
        return b.append("}}").toString();
    }
}
