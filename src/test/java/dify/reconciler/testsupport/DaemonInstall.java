package dify.reconciler.testsupport;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One tenant's local install of a package, step by step as the daemon does it (its {@code InstallPluginFromIdentifiers}
 * and {@code curd.InstallPlugin}), as the daemon's database user: read the declaration, create the install task
 * (status {@code running}, {@code plugins} naming the identifier), copy {@code plugin_packages/U} to
 * {@code plugin/U}, then one transaction with no lock timeout: {@code INSERT plugins … ON CONFLICT DO NOTHING}, lock
 * the row ({@code SELECT … FOR UPDATE}), refers + 1 (the whole row written back), insert the installation and its
 * tool row; then the task's status {@code success}. It never writes the declaration. Every row it inserts is
 * remembered, so a test can take the install away again.
 */
public final class DaemonInstall {

    /** The application name of the install transaction's connection, to see it wait in {@code pg_stat_activity}. */
    static final String APPLICATION = "daemon-install";

    private final TestDatabase db;
    private final ObjectWriter objects;
    private final BuiltPackage pkg;
    private final UUID tenant = UUID.randomUUID();
    private final List<String[]> inserted = new ArrayList<>(); // table, id
    private UUID task;

    public DaemonInstall(TestDatabase db, ObjectWriter objects, BuiltPackage pkg) {
        this.db = db;
        this.objects = objects;
        this.pkg = pkg;
    }

    public String uid() {
        return pkg.identifier();
    }

    public String pluginId() {
        return pkg.author() + "/" + pkg.name();
    }

    /** The install request: the declaration is read (it must exist), then the task is created. */
    public void createTask() {
        createTask(false);
    }

    /**
     * @param declarationCached the daemon read the declaration from its cache (Redis for 30 minutes, and each
     *                          process's memory, which nothing outside can clear): the row need not exist now
     */
    public void createTask(boolean declarationCached) {
        DaemonRows rows = DaemonRows.on(db);
        if (!declarationCached
                && rows.queryLong("SELECT count(*) FROM plugin_declarations WHERE plugin_unique_identifier = ?", uid()) == 0) {
            throw new IllegalStateException("the daemon answers 'failed to get plugin declaration': no declaration of " + uid());
        }
        task = rows.insertInstallTask("running", tenant, 1, 0);
        rows.execute("UPDATE install_tasks SET plugins = ? WHERE id = ?", "[{\"plugin_unique_identifier\":\"" + uid()
                + "\",\"plugin_id\":\"" + pluginId() + "\",\"status\":\"running\",\"message\":\"starting\"}]", task);
        inserted.add(new String[] {"install_tasks", task.toString()});
    }

    /** {@code plugin_packages/U} copied to {@code plugin/U} (since 0.6.10 on every new tenant's install). */
    public void copyInstalledObject() {
        objects.put("plugin/" + uid(), pkg.bytes());
    }

    /** The install transaction, committed; it waits (no lock timeout) while someone holds the plugins row. */
    public void commitInstall() {
        try (Connection c = db.connect()) {
            try (PreparedStatement ps = c.prepareStatement("SET application_name = '" + APPLICATION + "'")) {
                ps.execute();
            }
            c.setAutoCommit(false);
            install(c);
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("the daemon's install failed: " + e.getMessage(), e);
        }
    }

    /** {@link #commitInstall()} in another thread, which a test lets wait behind our locks. */
    public CompletableFuture<Void> commitInstallInBackground() {
        return CompletableFuture.runAsync(this::commitInstall);
    }

    /** Waits until the install transaction waits for a lock (it holds none of ours: it only waits). */
    public void awaitBlocked(Duration timeout) throws InterruptedException {
        Instant giveUp = Instant.now().plus(timeout);
        DaemonRows rows = DaemonRows.on(db);
        while (rows.queryLong("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                + " AND application_name = ? AND wait_event_type = 'Lock'",
                APPLICATION) == 0) {
            if (Instant.now().isAfter(giveUp)) {
                throw new AssertionError("the daemon's install transaction did not wait for a lock within " + timeout);
            }
            Thread.sleep(10);
        }
    }

    /** The task's final status. */
    public void finishTask() {
        DaemonRows.on(db).execute("UPDATE install_tasks SET status = 'success', completed_plugins = 1 WHERE id = ?", task);
    }

    /** The rows this install inserted (table, id). */
    public List<String[]> inserted() {
        return List.copyOf(inserted);
    }

    private void install(Connection c) throws SQLException {
        UUID pluginRow = DaemonRows.newId();
        OffsetDateTime now = OffsetDateTime.ofInstant(Instant.now().truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
        int created = update(c, "INSERT INTO plugins (id, created_at, updated_at, plugin_unique_identifier, plugin_id, refers,"
                + " install_type, manifest_type, remote_declaration, source) VALUES (?, ?, ?, ?, ?, 0, 'local', 'plugin', NULL,"
                + " 'marketplace') ON CONFLICT (plugin_unique_identifier) DO NOTHING", pluginRow, now, now, uid(), pluginId());
        if (created == 1) {
            inserted.add(new String[] {"plugins", pluginRow.toString()});
        }
        String id;
        long refers;
        try (PreparedStatement ps = c.prepareStatement("SELECT id::text, refers FROM plugins WHERE plugin_unique_identifier = ?"
                + " FOR UPDATE")) {
            ps.setString(1, uid());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("record not found: plugins " + uid());
                }
                id = rs.getString(1);
                refers = rs.getLong(2);
            }
        }
        update(c, "UPDATE plugins SET refers = ?, updated_at = ? WHERE id = ?::uuid", refers + 1, now, id);
        UUID installation = DaemonRows.newId();
        update(c, "INSERT INTO plugin_installations (id, created_at, updated_at, tenant_id, plugin_id, plugin_unique_identifier,"
                + " runtime_type, endpoints_setups, endpoints_active, source, meta) VALUES (?, ?, ?, ?, ?, ?, 'local', 0, 0,"
                + " 'marketplace', '{}')", installation, now, now, tenant, pluginId(), uid());
        UUID tool = DaemonRows.newId();
        update(c, "INSERT INTO tool_installations (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier,"
                + " plugin_id) VALUES (?, ?, ?, ?, ?, ?, ?)", tool, now, now, tenant, pkg.name(), uid(), pluginId());
        inserted.add(new String[] {"plugin_installations", installation.toString()});
        inserted.add(new String[] {"tool_installations", tool.toString()});
    }

    private static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            return ps.executeUpdate();
        }
    }
}
