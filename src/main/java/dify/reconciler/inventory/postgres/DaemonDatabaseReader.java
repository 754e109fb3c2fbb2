package dify.reconciler.inventory.postgres;

import static dify.reconciler.inventory.postgres.DaemonSchema.DECLARATIONS;
import static dify.reconciler.inventory.postgres.DaemonSchema.ENDPOINTS;
import static dify.reconciler.inventory.postgres.DaemonSchema.INSTALLATIONS;
import static dify.reconciler.inventory.postgres.DaemonSchema.INSTALL_TASKS;
import static dify.reconciler.inventory.postgres.DaemonSchema.PLUGINS;
import static dify.reconciler.inventory.postgres.DaemonSchema.SERVERLESS_RUNTIMES;
import static dify.reconciler.inventory.postgres.DaemonSchema.TENANT_STORAGES;

import dify.reconciler.catalog.AssetReferences;
import dify.reconciler.catalog.GlobalTenant;
import dify.reconciler.inventory.DeclarationRow;
import dify.reconciler.inventory.DeclarationText;
import dify.reconciler.inventory.DuplicateGroup;
import dify.reconciler.inventory.InstallationRow;
import dify.reconciler.inventory.InstallationTally;
import dify.reconciler.inventory.PluginRow;
import dify.reconciler.inventory.TableRow;
import dify.reconciler.inventory.TenantFootprint;
import dify.reconciler.inventory.TenantSample;
import dify.reconciler.inventory.TenantStorageRow;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Reads the daemon's tables inside one read-only, repeatable-read transaction, so every query of a scan
 * sees the same snapshot. While that transaction is open a {@link LockRequestWatch} ends it the moment
 * another session waits on one of its locks (the daemon must never wait on us); {@link #endTransaction()}
 * ends it as soon as the last table is read, before the long storage work. Large tables are either aggregated in PostgreSQL or streamed through a
 * server-side cursor (autocommit off + fetch size); nothing here holds a table of installations in memory.
 * Every value is a bound parameter; table names come from {@link DaemonSchema}'s allow-list.
 */
public final class DaemonDatabaseReader implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DaemonDatabaseReader.class);

    /** Rows an anti-join may return before it is re-run through a cursor; see {@link #parallelThenStreamed}. */
    static final int PARALLEL_RESULT_LIMIT = 20_000;

    private static final String UUID_TEXT = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

    private final Connection connection;
    private final LockRequestWatch watch;
    private final DaemonSchema schema;
    private final int fetchSize;
    private final Map<String, Long> rowsScanned = new HashMap<>();
    private final List<String> notes = new ArrayList<>();
    private int unparsableDeclarations;
    private boolean ended;

    private DaemonDatabaseReader(Connection connection, LockRequestWatch watch, DaemonSchema schema, int fetchSize) {
        this.connection = connection;
        this.watch = watch;
        this.schema = schema;
        this.fetchSize = fetchSize;
    }

    public static DaemonDatabaseReader open(DataSource dataSource, String schemaName, int fetchSize,
            String databaseDescription) throws SQLException {
        return open(dataSource, schemaName, fetchSize, Duration.ofSeconds(30), databaseDescription);
    }

    /**
     * @param lockTimeout how long a statement may wait for a table lock (a daemon migration) before the scan fails
     */
    public static DaemonDatabaseReader open(DataSource dataSource, String schemaName, int fetchSize,
            Duration lockTimeout, String databaseDescription) throws SQLException {
        Connection c = dataSource.getConnection();
        LockRequestWatch watch = null;
        try {
            c.setAutoCommit(false);
            int backendPid;
            try (var st = c.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                // work_mem stays the server's own. This set 64 MB until 2026-12-07, unmeasured: at 1,500,000
                // installations the category rows' anti-join then hashed in memory in 2.6-2.8 s against 1.9-2.0 s in
                // 4 MB batches (the default), a third of the scan's time more (docs/benchmark.md), and took 64 MB per
                // process of the daemon's database server.
                // A daemon migration holding a table lock must fail the scan clearly, not hang it.
                st.execute("SET LOCAL lock_timeout = '" + Math.max(1, lockTimeout.toMillis()) + "ms'");
                try (ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
                    rs.next();
                    backendPid = rs.getInt(1);
                }
            }
            // Watch before the first table is touched: from here on the scan holds locks the daemon may want.
            watch = LockRequestWatch.start(dataSource, backendPid);
            DaemonSchema schema = DaemonSchema.inspect(c, schemaName, databaseDescription);
            return new DaemonDatabaseReader(c, watch, schema, fetchSize);
        } catch (SQLException | RuntimeException e) {
            if (watch != null) {
                watch.close();
                String waiter = watch.yieldedTo();
                if (waiter != null) {
                    closeQuietly(c, e);
                    throw new ScanYieldedException(waiter, e);
                }
            }
            closeQuietly(c, e);
            throw e;
        }
    }

    public DaemonSchema schema() {
        return schema;
    }

    public Map<String, Long> rowsScanned() {
        return rowsScanned;
    }

    /** Things worth telling the operator that are not drift (e.g. declarations whose JSON could not be parsed). */
    public List<String> notes() {
        return notes;
    }

    /** True when every declaration's JSON could be read, i.e. the set of referenced assets is complete. */
    public boolean allDeclarationsParsed() {
        return unparsableDeclarations == 0;
    }

    public List<PluginRow> plugins() throws SQLException {
        String remote = schema.hasColumn(PLUGINS, "remote_declaration") ? "remote_declaration" : "CAST(NULL AS text)";
        String sql = "SELECT id::text, plugin_unique_identifier, plugin_id, refers, install_type, "
                + schema.changedAt(null, PLUGINS) + ", " + remote + " FROM " + schema.qualified(PLUGINS);
        List<PluginRow> rows = new ArrayList<>();
        query(sql, List.of(), rs -> {
            String installType = rs.getString(5);
            List<String> remoteAssets = List.of();
            String remoteDeclaration = rs.getString(7);
            if ("remote".equals(installType)) {
                // Blank or null is "assets unknown" (like unreadable JSON), never "references no asset".
                remoteAssets = assetIds(remoteDeclaration, PLUGINS, rs.getString(1));
            }
            rows.add(new PluginRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), installType,
                    instant(rs, 6), remoteAssets));
        });
        rowsScanned.put(PLUGINS, (long) rows.size());
        return rows;
    }

    public List<DeclarationRow> declarations() throws SQLException {
        String sql = "SELECT id::text, plugin_unique_identifier, plugin_id, " + schema.changedAt(null, DECLARATIONS)
                + ", declaration FROM " + schema.qualified(DECLARATIONS);
        List<DeclarationRow> rows = new ArrayList<>();
        query(sql, List.of(), rs -> {
            String json = rs.getString(5);
            // Blank or null is "assets unknown" (like unreadable JSON), never "references no asset".
            List<String> assets = assetIds(json, DECLARATIONS, rs.getString(1));
            rows.add(new DeclarationRow(rs.getString(1), rs.getString(2), rs.getString(3), instant(rs, 4), assets));
        });
        rowsScanned.put(DECLARATIONS, (long) rows.size());
        return rows;
    }

    /**
     * Streams, through a cursor, the declarations of identifiers that at least one installation uses, with their
     * JSON: one row in memory at a time, however many packages were uploaded.
     */
    public void installedDeclarations(Consumer<DeclarationText> sink) throws SQLException {
        String sql = "SELECT d.id::text, d.plugin_unique_identifier, d.plugin_id, " + schema.changedAt("d", DECLARATIONS)
                + ", d.declaration FROM " + schema.qualified(DECLARATIONS) + " d WHERE EXISTS (SELECT 1 FROM "
                + schema.qualified(INSTALLATIONS) + " i WHERE i.plugin_unique_identifier = d.plugin_unique_identifier)";
        query(sql, List.of(), rs -> sink.accept(new DeclarationText(rs.getString(1), rs.getString(2), rs.getString(3),
                instant(rs, 4), rs.getString(5))));
    }

    /**
     * For each of {@code uids}: how many tenants installed it and the first {@code sample} of them (in text order),
     * counted in PostgreSQL so that a plugin installed by a million tenants costs one number and a short list.
     */
    public Map<String, TenantSample> tenantsUsing(Collection<String> uids, int sample) throws SQLException {
        Map<String, TenantSample> tenants = new HashMap<>();
        if (uids.isEmpty()) {
            return tenants;
        }
        String installations = schema.qualified(INSTALLATIONS);
        String sql = "SELECT u.uid, (SELECT count(DISTINCT i.tenant_id) FROM " + installations
                + " i WHERE i.plugin_unique_identifier = u.uid), ARRAY(SELECT DISTINCT i.tenant_id::text FROM "
                + installations + " i WHERE i.plugin_unique_identifier = u.uid ORDER BY 1 LIMIT ?)"
                + " FROM unnest(?) AS u(uid)";
        aggregate(sql, List.of(sample, textArray(uids)), rs -> tenants.put(rs.getString(1),
                new TenantSample(rs.getLong(2), strings(rs.getArray(3)))));
        return tenants;
    }

    private List<String> assetIds(String json, String table, String id) {
        try {
            return AssetReferences.extract(json).stream().distinct().toList();
        } catch (IllegalArgumentException e) {
            unparsableDeclarations++;
            if (unparsableDeclarations <= 5) {
                notes.add(table + " row " + id + ": its declaration cannot be read (" + e.getMessage()
                        + "), so the assets it names are unknown; asset findings are not reported in this run");
            }
            return List.of();
        }
    }

    /**
     * Installations per identifier, aggregated in PostgreSQL, with those of the legacy global tenant counted apart.
     * The tenant is compared with an untyped parameter, which PostgreSQL reads as the column's own type (uuid, or
     * text in a layout that stores it as text): {@code tenant_id::text} formatted every row's uuid as text, a third
     * of this aggregate's time at 15,000,000 installations (docs/benchmark.md).
     */
    public Map<String, InstallationTally> installationTallies(Instant graceCutoff) throws SQLException {
        String sql = "SELECT plugin_unique_identifier, count(*), count(*) FILTER (WHERE runtime_type = 'remote'),"
                + " count(*) FILTER (WHERE " + schema.changedAt(null, INSTALLATIONS) + " > ?),"
                + " count(*) FILTER (WHERE tenant_id = ?) FROM "
                + schema.qualified(INSTALLATIONS) + " GROUP BY plugin_unique_identifier";
        Map<String, InstallationTally> tallies = new HashMap<>();
        long[] total = {0};
        aggregate(sql, List.of(timestamp(graceCutoff), new Untyped(GlobalTenant.ID)), rs -> {
            InstallationTally t = new InstallationTally(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4),
                    rs.getLong(5));
            tallies.put(t.uid(), t);
            total[0] += t.total();
        });
        rowsScanned.put(INSTALLATIONS, total[0]);
        return tallies;
    }

    /** Streams the installations that use one of {@code uids} (null in the collection means a NULL identifier). */
    public void installationsUsing(Collection<String> uids, Consumer<InstallationRow> sink) throws SQLException {
        if (uids.isEmpty()) {
            return;
        }
        List<String> nonNull = uids.stream().filter(u -> u != null).toList();
        String sql = "SELECT id::text, tenant_id::text, plugin_id, plugin_unique_identifier, runtime_type, "
                + schema.changedAt(null, INSTALLATIONS) + " FROM " + schema.qualified(INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ANY(?)" + (uids.contains(null) ? " OR plugin_unique_identifier IS NULL" : "");
        query(sql, List.of(textArray(nonNull)), rs -> sink.accept(new InstallationRow(rs.getString(1), rs.getString(2),
                rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6))));
    }

    /**
     * Streams the installations of the legacy global tenant that use one of {@code uids} (identifiers the tally
     * found only that tenant on; a handful, through the identifier index).
     */
    public void globalInstallationsUsing(Collection<String> uids, Consumer<InstallationRow> sink) throws SQLException {
        if (uids.isEmpty()) {
            return;
        }
        String sql = "SELECT id::text, tenant_id::text, plugin_id, plugin_unique_identifier, runtime_type, "
                + schema.changedAt(null, INSTALLATIONS) + " FROM " + schema.qualified(INSTALLATIONS)
                + " WHERE plugin_unique_identifier = ANY(?) AND tenant_id::text = ?";
        query(sql, List.of(textArray(uids), GlobalTenant.ID), rs -> sink.accept(new InstallationRow(rs.getString(1),
                rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6))));
    }

    /** Counts a table's rows and records the count as rows scanned (the checks themselves run in PostgreSQL). */
    public long countRows(String table) throws SQLException {
        long n = count(table);
        rowsScanned.put(table, n);
        return n;
    }

    /** Rows of a category table or {@code serverless_runtimes} that use one of {@code uids}. */
    public void rowsUsing(String table, Collection<String> uids, Consumer<TableRow> sink) throws SQLException {
        if (uids.isEmpty()) {
            return;
        }
        boolean hasTenant = schema.hasColumn(table, "tenant_id");
        boolean hasPluginId = schema.hasColumn(table, "plugin_id");
        String sql = "SELECT id::text, " + (hasTenant ? "tenant_id::text" : "CAST(NULL AS text)") + ", "
                + (hasPluginId ? "plugin_id" : "CAST(NULL AS text)") + ", plugin_unique_identifier, "
                + schema.changedAt(null, table) + " FROM " + schema.qualified(table)
                + " WHERE plugin_unique_identifier = ANY(?)" + (uids.contains(null) ? " OR plugin_unique_identifier IS NULL" : "");
        query(sql, List.of(textArray(uids.stream().filter(u -> u != null).toList())), rs -> sink.accept(new TableRow(table,
                rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), instant(rs, 5), null)));
    }

    /**
     * Category rows with no installation of the same tenant, plugin id and identifier. One anti-join over
     * the union of the category tables, so PostgreSQL hashes {@code plugin_installations} once, not per table.
     */
    public void orphanedCategoryRows(List<String> tables, Consumer<TableRow> sink) throws SQLException {
        if (tables.isEmpty()) {
            return;
        }
        StringBuilder union = new StringBuilder();
        for (String table : tables) {
            if (union.length() > 0) {
                union.append(" UNION ALL ");
            }
            schema.qualified(table); // allow-list check before the name is used as a literal below
            union.append("SELECT '").append(table).append("' AS t, id, tenant_id, plugin_id, plugin_unique_identifier, ")
                    .append(schema.changedAt(null, table)).append(" AS changed, provider FROM ").append(schema.qualified(table));
        }
        String sql = "SELECT c.t, c.id::text, c.tenant_id::text, c.plugin_id, c.plugin_unique_identifier, c.changed,"
                + " c.provider FROM (" + union + ") c WHERE NOT EXISTS (SELECT 1 FROM " + schema.qualified(INSTALLATIONS)
                + " i WHERE i.tenant_id = c.tenant_id AND i.plugin_id = c.plugin_id"
                + " AND i.plugin_unique_identifier = c.plugin_unique_identifier)";
        parallelThenStreamed(sql, List.of(), rs -> new TableRow(rs.getString(1), rs.getString(2), rs.getString(3),
                rs.getString(4), rs.getString(5), instant(rs, 6), "provider " + rs.getString(7)), sink);
    }

    /** Endpoints whose tenant has no installation of their plugin. {@code endpoints.tenant_id} is text, not uuid. */
    public void orphanedEndpoints(Consumer<TableRow> sink) throws SQLException {
        rowsScanned.put(ENDPOINTS, count(ENDPOINTS));
        String sql = "SELECT e.id::text, e.tenant_id, e.plugin_id, " + schema.changedAt("e", ENDPOINTS) + ", e.hook_id"
                + " FROM " + schema.qualified(ENDPOINTS) + " e WHERE NOT EXISTS (SELECT 1 FROM "
                + schema.qualified(INSTALLATIONS) + " i WHERE i.plugin_id = e.plugin_id AND i.tenant_id ="
                + " (CASE WHEN e.tenant_id ~ ? THEN CAST(e.tenant_id AS uuid) END))";
        parallelThenStreamed(sql, List.of(UUID_TEXT), rs -> new TableRow(ENDPOINTS, rs.getString(1), rs.getString(2),
                rs.getString(3), null, instant(rs, 4), "hook_id " + rs.getString(5)), sink);
    }

    /** Duplicate identifiers in {@code plugins}, among rows outside the grace period; skipped when a unique index exists. */
    public void duplicatePlugins(Instant graceCutoff, Consumer<DuplicateGroup> sink) throws SQLException {
        if (schema.hasUniqueIndexOn(PLUGINS, Set.of("plugin_unique_identifier"))) {
            return;
        }
        String sql = "SELECT plugin_unique_identifier, min(plugin_id), count(*), (array_agg(id::text ORDER BY id::text))[1:20]"
                + " FROM " + schema.qualified(PLUGINS) + " WHERE coalesce(" + schema.changedAt(null, PLUGINS)
                + ", '-infinity') <= ? GROUP BY plugin_unique_identifier HAVING count(*) > 1";
        aggregate(sql, List.of(timestamp(graceCutoff)), rs -> sink.accept(new DuplicateGroup(PLUGINS,
                "plugin_unique_identifier " + rs.getString(1), rs.getString(1), rs.getString(2), null, rs.getLong(3),
                strings(rs.getArray(4)))));
    }

    /** Duplicate (tenant_id, plugin_id) in {@code plugin_installations}; skipped when a unique index exists. */
    public void duplicateInstallations(Instant graceCutoff, Consumer<DuplicateGroup> sink) throws SQLException {
        if (schema.hasUniqueIndexOn(INSTALLATIONS, Set.of("tenant_id", "plugin_id"))) {
            return;
        }
        String sql = "SELECT tenant_id::text, plugin_id, count(*), (array_agg(id::text ORDER BY id::text))[1:20],"
                + " min(plugin_unique_identifier) FROM " + schema.qualified(INSTALLATIONS) + " WHERE coalesce("
                + schema.changedAt(null, INSTALLATIONS) + ", '-infinity') <= ? GROUP BY tenant_id, plugin_id HAVING count(*) > 1";
        aggregate(sql, List.of(timestamp(graceCutoff)), rs -> sink.accept(new DuplicateGroup(INSTALLATIONS,
                "(tenant_id, plugin_id) (" + rs.getString(1) + ", " + rs.getString(2) + ")", rs.getString(5),
                rs.getString(2), rs.getString(1), rs.getLong(3), strings(rs.getArray(4)))));
    }

    /**
     * Duplicate identifiers in {@code serverless_runtimes}, among rows outside the grace period; skipped when a
     * unique index exists. NULL identifiers are left out: a unique index allows any number of them (and each is
     * already an invalid identifier row).
     */
    public void duplicateServerlessRuntimes(Instant graceCutoff, Consumer<DuplicateGroup> sink) throws SQLException {
        if (schema.hasUniqueIndexOn(SERVERLESS_RUNTIMES, Set.of("plugin_unique_identifier"))) {
            return;
        }
        String sql = "SELECT plugin_unique_identifier, count(*), (array_agg(id::text ORDER BY id::text))[1:20] FROM "
                + schema.qualified(SERVERLESS_RUNTIMES) + " WHERE plugin_unique_identifier IS NOT NULL AND coalesce("
                + schema.changedAt(null, SERVERLESS_RUNTIMES) + ", '-infinity') <= ?"
                + " GROUP BY plugin_unique_identifier HAVING count(*) > 1";
        aggregate(sql, List.of(timestamp(graceCutoff)), rs -> sink.accept(new DuplicateGroup(SERVERLESS_RUNTIMES,
                "plugin_unique_identifier " + rs.getString(1), rs.getString(1), null, null, rs.getLong(2),
                strings(rs.getArray(3)))));
    }

    /** Every serverless runtime (a small table): its identifier and row, for the invalid-identifier check too. */
    public List<TableRow> serverlessRuntimes() throws SQLException {
        List<TableRow> rows = new ArrayList<>();
        query("SELECT id::text, plugin_unique_identifier, " + schema.changedAt(null, SERVERLESS_RUNTIMES) + " FROM "
                + schema.qualified(SERVERLESS_RUNTIMES), List.of(),
                rs -> rows.add(new TableRow(SERVERLESS_RUNTIMES,
                        rs.getString(1), null, null, rs.getString(2), instant(rs, 3), null)));
        rowsScanned.put(SERVERLESS_RUNTIMES, (long) rows.size());
        return rows;
    }

    /** Install tasks not in {@code success} that have not changed since {@code stuckBefore}. */
    public void stuckInstallTasks(Instant stuckBefore, Consumer<TableRow> sink) throws SQLException {
        rowsScanned.put(INSTALL_TASKS, count(INSTALL_TASKS));
        String changed = schema.changedAt(null, INSTALL_TASKS);
        String sql = "SELECT id::text, tenant_id::text, status, " + changed + " FROM " + schema.qualified(INSTALL_TASKS)
                + " WHERE status IS DISTINCT FROM 'success' AND coalesce(" + changed + ", '-infinity') < ?";
        query(sql, List.of(timestamp(stuckBefore)), rs -> sink.accept(new TableRow(INSTALL_TASKS, rs.getString(1),
                rs.getString(2), null, null, instant(rs, 4), "status '" + rs.getString(3)
                        + "' and unchanged since " + instant(rs, 4) + " (limit " + stuckBefore + ")")));
    }

    /**
     * Streams {@code tenant_storages} ordered by the key prefix each row accounts for, in byte order, to
     * {@code consumer}, which must finish with the iterator before returning.
     */
    public void withTenantStorages(Consumer<Iterator<TenantStorageRow>> consumer) throws SQLException {
        String sql = "SELECT id::text, tenant_id, plugin_id, size, " + schema.changedAt(null, TENANT_STORAGES)
                + " FROM " + schema.qualified(TENANT_STORAGES)
                + " ORDER BY (tenant_id || '/' || plugin_id || '/') COLLATE \"C\", id";
        requireOpenTransaction();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(fetchSize);
            try (ResultSet rs = ps.executeQuery()) {
                long[] count = {0};
                Iterator<TenantStorageRow> it = new Iterator<>() {
                    private Boolean ready;

                    @Override
                    public boolean hasNext() {
                        if (ready == null) {
                            try {
                                ready = rs.next();
                            } catch (SQLException e) {
                                throw readFailure("reading tenant_storages failed", e);
                            }
                        }
                        return ready;
                    }

                    @Override
                    public TenantStorageRow next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        ready = null;
                        count[0]++;
                        try {
                            return new TenantStorageRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4),
                                    instant(rs, 5));
                        } catch (SQLException e) {
                            throw readFailure("reading tenant_storages failed", e);
                        }
                    }
                };
                consumer.accept(it);
                rowsScanned.put(TENANT_STORAGES, count[0]);
            }
        }
    }

    /**
     * Streams, one row per workspace in byte order of its id ({@code COLLATE "C"}), what the daemon keeps for it:
     * installations, category rows, endpoints and {@code tenant_storages} rows, counted in PostgreSQL (old rows per
     * table, young rows together), with the plugins they name. The all-zero tenant of old daemons' global
     * installations is no workspace and is left out, as are rows without a tenant. {@code consumer} must finish
     * with the iterator before returning; memory stays flat (a cursor, one workspace at a time).
     */
    public void withTenantFootprints(Instant graceCutoff, Consumer<Iterator<TenantFootprint>> consumer) throws SQLException {
        StringBuilder union = new StringBuilder();
        List<String> tables = new ArrayList<>();
        tables.add(INSTALLATIONS);
        DaemonSchema.CATEGORY_TABLES.stream().filter(schema::hasTable).forEach(tables::add);
        for (String optional : List.of(ENDPOINTS, TENANT_STORAGES)) {
            if (schema.hasTable(optional)) {
                tables.add(optional);
            }
        }
        for (String table : tables) {
            String part = switch (table) {
                case INSTALLATIONS -> "i";
                case ENDPOINTS -> "e";
                case TENANT_STORAGES -> "s";
                default -> "c";
            };
            union.append(union.length() == 0 ? "" : " UNION ALL ").append("SELECT tenant_id::text AS tenant, '").append(part)
                    .append("' AS part, plugin_id, ").append(schema.changedAt(null, table)).append(" AS changed FROM ")
                    .append(schema.qualified(table));
        }
        String old = "(r.changed IS NULL OR r.changed <= g.cutoff)";
        // endpoints and tenant_storages keep the tenant as text: one spelling per workspace, the uuid's own.
        String tenant = "CASE WHEN r.tenant ~ g.uuid_pattern THEN lower(r.tenant) ELSE r.tenant END";
        String sql = "SELECT * FROM (SELECT " + tenant + " AS tenant,"
                + " count(*) FILTER (WHERE r.part = 'i' AND " + old + "),"
                + " count(*) FILTER (WHERE r.part = 'c' AND " + old + "),"
                + " count(*) FILTER (WHERE r.part = 'e' AND " + old + "),"
                + " count(*) FILTER (WHERE r.part = 's' AND " + old + "),"
                + " count(*) FILTER (WHERE NOT " + old + "),"
                + " count(DISTINCT r.plugin_id) FILTER (WHERE " + old + "),"
                + " (array_agg(DISTINCT r.plugin_id COLLATE \"C\" ORDER BY r.plugin_id COLLATE \"C\") FILTER (WHERE " + old
                + " AND r.plugin_id IS NOT NULL))[1:"
                + TenantFootprint.PLUGIN_IDS_SHOWN + "],"
                + " max(r.changed) FILTER (WHERE " + old + ")"
                + " FROM (" + union + ") r CROSS JOIN (SELECT CAST(? AS timestamptz) AS cutoff, CAST(? AS text) AS uuid_pattern) g"
                + " WHERE r.tenant IS NOT NULL AND btrim(r.tenant) <> '' AND lower(r.tenant) <> ?"
                + " GROUP BY 1) t ORDER BY t.tenant COLLATE \"C\"";
        stream("reading the tenants of the daemon's rows", sql,
                List.of(timestamp(graceCutoff), UUID_TEXT, "00000000-0000-0000-0000-000000000000"),
                rs -> new TenantFootprint(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                        rs.getLong(6), rs.getArray(8) == null ? List.of() : strings(rs.getArray(8)), rs.getLong(7),
                        instant(rs, 9)),
                consumer);
    }

    /** Streams a query's rows through a cursor as an iterator; a failure part-way fails the run (yield first). */
    private <T> void stream(String what, String sql, List<Object> params, RowMapper<T> mapper, Consumer<Iterator<T>> consumer)
            throws SQLException {
        requireOpenTransaction();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(fetchSize);
            bind(ps, params);
            ResultSet opened;
            try {
                opened = ps.executeQuery();
            } catch (SQLException e) {
                throw readFailure(what + " failed", e);
            }
            try (ResultSet rs = opened) {
                consumer.accept(new Iterator<>() {
                    private Boolean ready;

                    @Override
                    public boolean hasNext() {
                        if (ready == null) {
                            try {
                                ready = rs.next();
                            } catch (SQLException e) {
                                throw readFailure(what + " failed", e);
                            }
                        }
                        return ready;
                    }

                    @Override
                    public T next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        ready = null;
                        try {
                            return mapper.map(rs);
                        } catch (SQLException e) {
                            throw readFailure(what + " failed", e);
                        }
                    }
                });
            }
        }
    }

    private long count(String table) throws SQLException {
        long[] n = {0};
        aggregate("SELECT count(*) FROM " + schema.qualified(table), List.of(), rs -> n[0] = rs.getLong(1));
        return n[0];
    }

    @FunctionalInterface
    private interface RowHandler {
        void accept(ResultSet rs) throws SQLException;
    }

    @FunctionalInterface
    private interface RowMapper<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /**
     * For anti-joins over the big tables, whose answer is usually a handful of rows but could be millions
     * on a badly broken database. A server-side cursor keeps memory flat but stops PostgreSQL from using
     * parallel workers (a query that may be suspended never runs in parallel), which doubles the time of
     * these hash joins. So: first ask for at most {@value #PARALLEL_RESULT_LIMIT} rows without a cursor; only
     * if that many come back, run the query again through a cursor and stream every row.
     */
    private <T> void parallelThenStreamed(String sql, List<Object> params, RowMapper<T> mapper, Consumer<T> sink)
            throws SQLException {
        List<T> firstRows = new ArrayList<>();
        // A plain LIMIT would make the planner pick a fast-start plan (index probes, minutes at scale); the
        // materialized CTE is planned for all its rows, in parallel, and the LIMIT only caps what is sent.
        aggregate("WITH found AS MATERIALIZED (" + sql + ") SELECT * FROM found LIMIT " + PARALLEL_RESULT_LIMIT, params,
                rs -> firstRows.add(mapper.map(rs)));
        if (firstRows.size() < PARALLEL_RESULT_LIMIT) {
            firstRows.forEach(sink);
            return;
        }
        firstRows.clear();
        query(sql, params, rs -> sink.accept(mapper.map(rs)));
    }

    /** A query whose result is small (bounded by plugins, not installations): no cursor, so it may run in parallel. */
    private void aggregate(String sql, List<Object> params, RowHandler handler) throws SQLException {
        execute(sql, params, handler, 0);
    }

    /** A query streamed through a server-side cursor, {@code fetchSize} rows per round trip. */
    private void query(String sql, List<Object> params, RowHandler handler) throws SQLException {
        execute(sql, params, handler, fetchSize);
    }

    private void execute(String sql, List<Object> params, RowHandler handler, int rowsPerFetch) throws SQLException {
        try {
            executeWatched(sql, params, handler, rowsPerFetch);
        } catch (SQLException e) {
            String waiter = watch.yieldedTo();
            if (waiter != null) {
                throw new ScanYieldedException(waiter, e);
            }
            throw e;
        }
    }

    /** A failure part-way through a stream; the yield, when that was the cause, comes first. */
    private DatabaseReadException readFailure(String what, SQLException e) {
        String waiter = watch.yieldedTo();
        return waiter != null ? new ScanYieldedException(waiter, e) : new DatabaseReadException(what + ": " + e.getMessage(), e);
    }

    private void executeWatched(String sql, List<Object> params, RowHandler handler, int rowsPerFetch) throws SQLException {
        requireOpenTransaction();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setFetchSize(rowsPerFetch);
            bind(ps, params);
            long started = System.nanoTime();
            long rows = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    handler.accept(rs);
                    rows++;
                }
            }
            if (LOG.isDebugEnabled()) {
                LOG.debugf("%6.0f ms %9d rows  %s", (System.nanoTime() - started) / 1e6, rows,
                        sql.length() > 160 ? sql.substring(0, 160) + "…" : sql);
            }
        }
    }

    /** A text parameter sent without a type, so PostgreSQL takes the type of what it is compared with. */
    private record Untyped(String value) {
    }

    private static void bind(PreparedStatement ps, List<Object> params) throws SQLException {
        for (int i = 0; i < params.size(); i++) {
            if (params.get(i) instanceof Untyped untyped) {
                ps.setObject(i + 1, untyped.value(), Types.OTHER);
            } else {
                ps.setObject(i + 1, params.get(i));
            }
        }
    }

    private Array textArray(Collection<String> values) throws SQLException {
        return connection.createArrayOf("text", values.toArray());
    }

    private static List<String> strings(Array array) throws SQLException {
        return Arrays.asList((String[]) array.getArray());
    }

    private static OffsetDateTime timestamp(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /**
     * Ends the read-only transaction and with it every lock the scan holds; call it once the last table has
     * been read. Throws {@link ScanYieldedException} if the scan had to yield meanwhile, because then a
     * stream may have been cut short.
     */
    public void endTransaction() throws SQLException {
        ended = true;
        watch.close();
        String waiter = watch.yieldedTo();
        if (waiter != null) {
            throw new ScanYieldedException(waiter, null);
        }
        connection.rollback();
    }

    /** After {@link #endTransaction()} nothing may be read: a new transaction would hold locks unwatched. */
    private void requireOpenTransaction() {
        if (ended) {
            throw new IllegalStateException("the scan's database transaction has ended; nothing more is read");
        }
    }

    @Override
    public void close() throws SQLException {
        watch.close();
        if (watch.yieldedTo() != null) {
            // The backend is gone; rollback would only fail. Closing hands the dead connection back to the pool.
            connection.close();
            return;
        }
        try {
            connection.rollback();
        } finally {
            connection.close();
        }
    }

    private static void closeQuietly(Connection c, Exception primary) {
        try {
            c.close();
        } catch (SQLException suppressed) {
            primary.addSuppressed(suppressed);
        }
    }
}
