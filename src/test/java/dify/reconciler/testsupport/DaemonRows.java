package dify.reconciler.testsupport;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongFunction;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;

/**
 * Writes rows into the daemon's tables the way the daemon would, on both the current and the legacy
 * layout ({@link SchemaFixture}). Every insert binds its values, generates the id in Java (UUIDv7
 * layout, as the daemon does since 0.5.2) and returns it.
 *
 * <p>Timestamps: {@code created_at = updated_at = now} unless the rows are written through
 * {@link #at(Instant)} (or the overloads taking a trailing {@code Instant}), which lets tests age rows
 * past a grace period. {@link #age(String, UUID, Instant)} re-stamps an existing row.
 *
 * <p>{@link #copyInstallations} / {@link #copyCategoryRows} stream generated rows through
 * {@code COPY ... FROM STDIN} in 1 MiB chunks, for seeding millions of rows.
 */
public final class DaemonRows {

    /** The five per-category tables; one row per installation in at most one of them. */
    public static final List<String> CATEGORY_TABLES = List.of(
            "tool_installations", "agent_strategy_installations", "datasource_installations",
            "trigger_installations", "ai_model_installations");

    private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final int COPY_CHUNK_BYTES = 1 << 20;

    private final DataSource dataSource;
    private final Instant fixedTime; // null = now at each insert

    public DaemonRows(DataSource dataSource) {
        this(dataSource, null);
    }

    private DaemonRows(DataSource dataSource, Instant fixedTime) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.fixedTime = fixedTime;
    }

    public static DaemonRows on(TestDatabase db) {
        return new DaemonRows(db.fixtureDataSource());
    }

    /** A view of this helper whose inserts stamp {@code created_at = updated_at = when}. */
    public DaemonRows at(Instant when) {
        return new DaemonRows(dataSource, Objects.requireNonNull(when, "when"));
    }

    public DataSource dataSource() {
        return dataSource;
    }

    // ---------------------------------------------------------------- single-row inserts

    /**
     * A {@code plugins} row. {@code installType} is {@code local}, {@code remote} or {@code serverless};
     * {@code remoteDeclarationJson} may be null. {@code manifest_type = 'plugin'}, {@code source = ''}.
     */
    public UUID insertPlugin(String uid, String pluginId, long refers, String installType, String remoteDeclarationJson) {
        UUID id = newId();
        execute("INSERT INTO plugins (id, created_at, updated_at, plugin_unique_identifier, plugin_id, refers,"
                + " install_type, manifest_type, remote_declaration, source)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, 'plugin', ?, '')",
                id, ts(), ts(), uid, pluginId, refers, installType, remoteDeclarationJson);
        return id;
    }

    public UUID insertPlugin(String uid, String pluginId, long refers, String installType, String remoteDeclarationJson, Instant at) {
        return at(at).insertPlugin(uid, pluginId, refers, installType, remoteDeclarationJson);
    }

    /** A {@code plugin_declarations} row (the uploaded package's manifest JSON). */
    public UUID insertDeclaration(String uid, String pluginId, String declarationJson) {
        UUID id = newId();
        execute("INSERT INTO plugin_declarations (id, created_at, updated_at, plugin_unique_identifier, plugin_id, declaration)"
                + " VALUES (?, ?, ?, ?, ?, ?)",
                id, ts(), ts(), uid, pluginId, declarationJson);
        return id;
    }

    public UUID insertDeclaration(String uid, String pluginId, String declarationJson, Instant at) {
        return at(at).insertDeclaration(uid, pluginId, declarationJson);
    }

    /**
     * A {@code plugin_installations} row; {@code runtimeType} local/remote/serverless, {@code source}
     * marketplace/github/package/remote. endpoints_setups = endpoints_active = 0, meta = '{}'.
     */
    public UUID insertInstallation(UUID tenantId, String pluginId, String uid, String runtimeType, String source) {
        UUID id = newId();
        execute("INSERT INTO plugin_installations (id, created_at, updated_at, tenant_id, plugin_id, plugin_unique_identifier,"
                + " runtime_type, endpoints_setups, endpoints_active, source, meta)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, ?, '{}')",
                id, ts(), ts(), tenantId, pluginId, uid, runtimeType, source);
        return id;
    }

    public UUID insertInstallation(UUID tenantId, String pluginId, String uid, String runtimeType, String source, Instant at) {
        return at(at).insertInstallation(tenantId, pluginId, uid, runtimeType, source);
    }

    /** A row in one of {@link #CATEGORY_TABLES}. */
    public UUID insertCategoryRow(String table, UUID tenantId, String provider, String uid, String pluginId) {
        requireCategoryTable(table);
        UUID id = newId();
        execute("INSERT INTO " + table + " (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)",
                id, ts(), ts(), tenantId, provider, uid, pluginId);
        return id;
    }

    public UUID insertCategoryRow(String table, UUID tenantId, String provider, String uid, String pluginId, Instant at) {
        return at(at).insertCategoryRow(table, tenantId, provider, uid, pluginId);
    }

    /** An {@code endpoints} row (tenant_id is text there). enabled = true, settings = '{}', random user_id. */
    public UUID insertEndpoint(String tenantId, String pluginId, String hookId, String name) {
        UUID id = newId();
        execute("INSERT INTO endpoints (id, created_at, updated_at, name, hook_id, tenant_id, user_id, plugin_id,"
                + " expired_at, enabled, settings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, true, '{}')",
                id, ts(), ts(), name, hookId, tenantId, UUID.randomUUID().toString(), pluginId);
        return id;
    }

    public UUID insertEndpoint(String tenantId, String pluginId, String hookId, String name, Instant at) {
        return at(at).insertEndpoint(tenantId, pluginId, hookId, name);
    }

    public UUID insertServerlessRuntime(String uid, String functionUrl, String functionName, String type, String checksum) {
        UUID id = newId();
        execute("INSERT INTO serverless_runtimes (id, created_at, updated_at, plugin_unique_identifier, function_url,"
                + " function_name, type, checksum) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                id, ts(), ts(), uid, functionUrl, functionName, type, checksum);
        return id;
    }

    public UUID insertServerlessRuntime(String uid, String functionUrl, String functionName, String type, String checksum, Instant at) {
        return at(at).insertServerlessRuntime(uid, functionUrl, functionName, type, checksum);
    }

    /** An {@code install_tasks} row; status pending/running/success/failed; plugins = '[]'. */
    public UUID insertInstallTask(String status, UUID tenantId, long totalPlugins, long completedPlugins) {
        UUID id = newId();
        execute("INSERT INTO install_tasks (id, created_at, updated_at, status, tenant_id, total_plugins, completed_plugins, plugins)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, '[]')",
                id, ts(), ts(), status, tenantId, totalPlugins, completedPlugins);
        return id;
    }

    public UUID insertInstallTask(String status, UUID tenantId, long totalPlugins, long completedPlugins, Instant at) {
        return at(at).insertInstallTask(status, tenantId, totalPlugins, completedPlugins);
    }

    /** A {@code tenant_storages} row (tenant_id is varchar there). */
    public UUID insertTenantStorage(String tenantId, String pluginId, long size) {
        UUID id = newId();
        execute("INSERT INTO tenant_storages (id, created_at, updated_at, tenant_id, plugin_id, size) VALUES (?, ?, ?, ?, ?, ?)",
                id, ts(), ts(), tenantId, pluginId, size);
        return id;
    }

    public UUID insertTenantStorage(String tenantId, String pluginId, long size, Instant at) {
        return at(at).insertTenantStorage(tenantId, pluginId, size);
    }

    /** Sets {@code created_at} and {@code updated_at} of one row. */
    public void age(String table, UUID id, Instant when) {
        requireTableName(table);
        int n = execute("UPDATE " + table + " SET created_at = ?, updated_at = ? WHERE id = ?", odt(when), odt(when), id);
        if (n != 1) {
            throw new IllegalStateException("no row " + id + " in " + table);
        }
    }

    // ---------------------------------------------------------------- generic

    /**
     * Runs one statement with bound parameters (Instant is bound as timestamptz, UUID as uuid) and
     * returns the update count (0 for statements without one).
     */
    public int execute(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.execute() ? 0 : Math.max(ps.getUpdateCount(), 0);
        } catch (SQLException e) {
            throw new DaemonRowsException(sql, e);
        }
    }

    /** {@code SELECT count(*) FROM <table>}. */
    public long count(String table) {
        requireTableName(table);
        return queryLong("SELECT count(*) FROM " + table);
    }

    /** A single-value query returning a number (e.g. a count with a WHERE clause). */
    public long queryLong(String sql, Object... params) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no row: " + sql);
                }
                return rs.getLong(1);
            }
        } catch (SQLException e) {
            throw new DaemonRowsException(sql, e);
        }
    }

    // ---------------------------------------------------------------- bulk COPY

    /** One generated {@code plugin_installations} row for {@link #copyInstallations}. */
    public record InstallationRow(UUID tenantId, String pluginId, String pluginUniqueIdentifier, String runtimeType, String source) {
    }

    /** One generated category-table row for {@link #copyCategoryRows}. */
    public record CategoryRow(UUID tenantId, String provider, String pluginUniqueIdentifier, String pluginId) {
    }

    /**
     * Streams {@code count} rows made by {@code generator(i)} (i = 0..count-1) into
     * {@code plugin_installations} with COPY FROM STDIN; ids are generated here, timestamps as for
     * the single-row inserts. Returns the number of rows the server reports.
     */
    public long copyInstallations(long count, LongFunction<InstallationRow> generator) {
        return copyInstallations(generated(count, generator));
    }

    public long copyInstallations(Iterator<InstallationRow> rows) {
        String sql = "COPY plugin_installations (id, created_at, updated_at, tenant_id, plugin_id, plugin_unique_identifier,"
                + " runtime_type, endpoints_setups, endpoints_active, source, meta) FROM STDIN";
        return copy(sql, rows, (r, line, stamp) -> {
            field(line, newId().toString()).append('\t');
            field(line, stamp).append('\t');
            field(line, stamp).append('\t');
            field(line, r.tenantId() == null ? null : r.tenantId().toString()).append('\t');
            field(line, r.pluginId()).append('\t');
            field(line, r.pluginUniqueIdentifier()).append('\t');
            field(line, r.runtimeType()).append('\t');
            line.append("0\t0\t");
            field(line, r.source()).append('\t');
            line.append("{}");
        });
    }

    /** As {@link #copyInstallations(long, LongFunction)}, into one of {@link #CATEGORY_TABLES}. */
    public long copyCategoryRows(String table, long count, LongFunction<CategoryRow> generator) {
        return copyCategoryRows(table, generated(count, generator));
    }

    public long copyCategoryRows(String table, Iterator<CategoryRow> rows) {
        requireCategoryTable(table);
        String sql = "COPY " + table + " (id, created_at, updated_at, tenant_id, provider, plugin_unique_identifier, plugin_id) FROM STDIN";
        return copy(sql, rows, (r, line, stamp) -> {
            field(line, newId().toString()).append('\t');
            field(line, stamp).append('\t');
            field(line, stamp).append('\t');
            field(line, r.tenantId() == null ? null : r.tenantId().toString()).append('\t');
            field(line, r.provider()).append('\t');
            field(line, r.pluginUniqueIdentifier()).append('\t');
            field(line, r.pluginId());
        });
    }

    private interface LineWriter<T> {
        void write(T row, StringBuilder line, String stamp);
    }

    private <T> long copy(String sql, Iterator<T> rows, LineWriter<T> writer) {
        String fixedStamp = fixedTime == null ? null : fixedTime.toString();
        try (Connection c = dataSource.getConnection()) {
            CopyManager copyManager = c.unwrap(PGConnection.class).getCopyAPI();
            CopyIn copyIn = copyManager.copyIn(sql);
            try {
                StringBuilder buffer = new StringBuilder(COPY_CHUNK_BYTES + 4096);
                while (rows.hasNext()) {
                    String stamp = fixedStamp != null ? fixedStamp : Instant.now().truncatedTo(ChronoUnit.MICROS).toString();
                    writer.write(rows.next(), buffer, stamp);
                    buffer.append('\n');
                    if (buffer.length() >= COPY_CHUNK_BYTES) {
                        flush(copyIn, buffer);
                    }
                }
                flush(copyIn, buffer);
                return copyIn.endCopy();
            } finally {
                if (copyIn.isActive()) {
                    copyIn.cancelCopy();
                }
            }
        } catch (SQLException e) {
            throw new DaemonRowsException(sql, e);
        }
    }

    private static void flush(CopyIn copyIn, StringBuilder buffer) throws SQLException {
        if (buffer.length() == 0) {
            return;
        }
        byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
        copyIn.writeToCopy(bytes, 0, bytes.length);
        buffer.setLength(0);
    }

    /** Appends one COPY text-format field: {@code \N} for null, backslash escapes otherwise. */
    private static StringBuilder field(StringBuilder line, String value) {
        if (value == null) {
            return line.append("\\N");
        }
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            switch (ch) {
                case '\\' -> line.append("\\\\");
                case '\t' -> line.append("\\t");
                case '\n' -> line.append("\\n");
                case '\r' -> line.append("\\r");
                default -> line.append(ch);
            }
        }
        return line;
    }

    private static <T> Iterator<T> generated(long count, LongFunction<T> generator) {
        return new Iterator<>() {
            private long next;

            @Override
            public boolean hasNext() {
                return next < count;
            }

            @Override
            public T next() {
                if (next >= count) {
                    throw new NoSuchElementException();
                }
                return generator.apply(next++);
            }
        };
    }

    /**
     * Drops the table's plain and unique indexes (not the primary key or constraint-backed ones),
     * runs {@code load}, then recreates them from their saved definitions (same names, same
     * columns), which is much faster than maintaining them row by row during a multi-million-row
     * COPY. A unique index that the loaded rows violate fails to come back: that surfaces as an
     * exception and the index stays missing, so use it only on a throwaway database.
     */
    public void withIndexesDeferred(String table, Runnable load) {
        requireTableName(table);
        List<String> definitions = new java.util.ArrayList<>();
        List<String> names = new java.util.ArrayList<>();
        String find = "SELECT i.indexname, i.indexdef FROM pg_indexes i"
                + " WHERE i.schemaname = current_schema() AND i.tablename = ?"
                + " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname"
                + " AND c.conrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.tablename))::regclass)";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(find)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                    definitions.add(rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw new DaemonRowsException(find, e);
        }
        for (String name : names) {
            execute("DROP INDEX \"" + name.replace("\"", "\"\"") + "\"");
        }
        try {
            load.run();
        } finally {
            for (String definition : definitions) {
                execute(definition);
            }
        }
    }

    // ---------------------------------------------------------------- ids and helpers

    /** A UUID in version-7 layout: 48-bit Unix milliseconds, version 7, variant 2, random rest. */
    public static UUID newId() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long ms = System.currentTimeMillis();
        long msb = (ms << 16) | 0x7000L | (rnd.nextLong() & 0x0FFFL);
        long lsb = (rnd.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb);
    }

    private OffsetDateTime ts() {
        return odt(fixedTime != null ? fixedTime : Instant.now());
    }

    private static OffsetDateTime odt(Instant when) {
        return OffsetDateTime.ofInstant(when.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Instant instant) {
                ps.setObject(i + 1, odt(instant));
            } else {
                ps.setObject(i + 1, p);
            }
        }
    }

    private static void requireCategoryTable(String table) {
        if (!CATEGORY_TABLES.contains(table)) {
            throw new IllegalArgumentException("not a category table: " + table + " (one of " + CATEGORY_TABLES + ")");
        }
    }

    private static void requireTableName(String table) {
        if (table == null || !TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
    }

    /** An SQL failure from a helper call, carrying the statement and the SQLState. */
    public static final class DaemonRowsException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final String sqlState;

        DaemonRowsException(String sql, SQLException cause) {
            super(cause.getMessage() + " [SQLState " + cause.getSQLState() + "] in: " + sql, cause);
            this.sqlState = cause.getSQLState();
        }

        /** e.g. {@code 23505} unique_violation, {@code 42P01} undefined_table. */
        public String sqlState() {
            return sqlState;
        }
    }
}
