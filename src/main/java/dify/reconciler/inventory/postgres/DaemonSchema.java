package dify.reconciler.inventory.postgres;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the daemon's schema looks like in this database: which tables and columns exist (old daemons lack
 * some; GORM never drops any) and which unique indexes are in place. Table names used in SQL come only from
 * the constants here, never from input.
 */
public final class DaemonSchema {

    public static final String PLUGINS = "plugins";
    public static final String DECLARATIONS = "plugin_declarations";
    public static final String INSTALLATIONS = "plugin_installations";
    public static final String ENDPOINTS = "endpoints";
    public static final String SERVERLESS_RUNTIMES = "serverless_runtimes";
    public static final String INSTALL_TASKS = "install_tasks";
    public static final String TENANT_STORAGES = "tenant_storages";

    /** The five category tables; an installation has at most one row across them. */
    public static final List<String> CATEGORY_TABLES = List.of("tool_installations", "agent_strategy_installations",
            "datasource_installations", "trigger_installations", "ai_model_installations");

    /** The column that names a plugin package; a table we do not know that has it may reference packages. */
    public static final String IDENTIFIER_COLUMN = "plugin_unique_identifier";

    /**
     * Tables the daemon has that we know and do not read: caches of what packages contain (README texts), which
     * keep no package alive. The current {@code plugin_readme_records} and the legacy {@code plugin_readmes}.
     */
    public static final Set<String> KNOWN_UNREAD_TABLES = Set.of("plugin_readme_records", "plugin_readmes");

    /** Tables without which no scan can be trusted, with the columns we read from them. */
    static final Map<String, List<String>> REQUIRED = Map.of(
            PLUGINS, List.of("id", "plugin_unique_identifier", "plugin_id", "refers", "install_type"),
            DECLARATIONS, List.of("id", "plugin_unique_identifier", "plugin_id", "declaration"),
            INSTALLATIONS, List.of("id", "tenant_id", "plugin_id", "plugin_unique_identifier", "runtime_type"));

    /** Tables a daemon may not have created yet: skipped with a note when absent, checked for columns when present. */
    static final Map<String, List<String>> OPTIONAL;

    static {
        Map<String, List<String>> optional = new HashMap<>();
        for (String t : CATEGORY_TABLES) {
            optional.put(t, List.of("id", "tenant_id", "provider", "plugin_unique_identifier", "plugin_id"));
        }
        optional.put(ENDPOINTS, List.of("id", "tenant_id", "plugin_id", "hook_id"));
        optional.put(SERVERLESS_RUNTIMES, List.of("id", "plugin_unique_identifier"));
        optional.put(INSTALL_TASKS, List.of("id", "status", "tenant_id"));
        optional.put(TENANT_STORAGES, List.of("id", "tenant_id", "plugin_id", "size"));
        OPTIONAL = Map.copyOf(optional);
    }

    private final String schema;
    private final Map<String, Set<String>> columns;
    private final Map<String, List<Set<String>>> uniqueIndexes;

    private DaemonSchema(String schema, Map<String, Set<String>> columns, Map<String, List<Set<String>>> uniqueIndexes) {
        this.schema = schema;
        this.columns = columns;
        this.uniqueIndexes = uniqueIndexes;
    }

    /**
     * Reads the catalog and fails with a clear message if a required table or column is missing.
     *
     * @param schema the schema holding the daemon's tables, or null for the one the daemon's own unqualified
     *        names resolve to: {@code current_schema()}, the first existing schema on the {@code search_path}
     *        (which {@code DB_EXTRAS} may set)
     */
    public static DaemonSchema inspect(Connection connection, String schema, String databaseDescription)
            throws SQLException {
        if (schema == null) {
            schema = currentSchema(connection, databaseDescription);
        }
        Map<String, Set<String>> columns = readColumns(connection, schema);
        for (Map.Entry<String, List<String>> required : REQUIRED.entrySet()) {
            if (!columns.containsKey(required.getKey())) {
                throw new DaemonSchemaException("table " + schema + "." + required.getKey() + " does not exist in "
                        + databaseDescription + "; is DB_DATABASE the plugin daemon's database (default dify_plugin)"
                        + " and has the daemon run its migrations?");
            }
        }
        Map<String, List<String>> all = new HashMap<>(REQUIRED);
        all.putAll(OPTIONAL);
        for (Map.Entry<String, List<String>> table : all.entrySet()) {
            Set<String> present = columns.get(table.getKey());
            if (present == null) {
                continue;
            }
            for (String column : table.getValue()) {
                if (!present.contains(column)) {
                    throw new DaemonSchemaException("table " + schema + "." + table.getKey() + " has no column "
                            + column + "; this daemon schema is not one we know, so nothing is checked");
                }
            }
        }
        Map<String, List<Set<String>>> unique = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT t.relname, array_agg(a.attname::text ORDER BY k.ord)
                  FROM pg_catalog.pg_index i
                  JOIN pg_catalog.pg_class t ON t.oid = i.indrelid
                  JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
                  CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
                 WHERE n.nspname = ? AND i.indisunique AND i.indpred IS NULL AND i.indisvalid
                 GROUP BY t.relname, i.indexrelid""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String[] cols = (String[]) rs.getArray(2).getArray();
                    unique.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(Set.of(cols));
                }
            }
        }
        return new DaemonSchema(schema, columns, unique);
    }

    /**
     * The tables (and views) of the daemon's schema with their columns, as the catalog has them, without judging
     * them: for the remediation guard that refuses to act on a schema it does not know.
     *
     * @param schema as for {@link #inspect}
     */
    public static Map<String, Set<String>> columnsOf(Connection connection, String schema, String databaseDescription)
            throws SQLException {
        return readColumns(connection, schema == null ? currentSchema(connection, databaseDescription) : schema);
    }

    /** Tables we cannot work without, with the columns we read. */
    public static Map<String, List<String>> requiredColumns() {
        return REQUIRED;
    }

    /** Tables an older daemon may lack, with the columns we read when they exist. */
    public static Map<String, List<String>> optionalColumns() {
        return OPTIONAL;
    }

    private static Map<String, Set<String>> readColumns(Connection connection, String schema) throws SQLException {
        Map<String, Set<String>> columns = new HashMap<>();
        try (PreparedStatement ps = connection.prepareStatement("""
                SELECT c.relname, a.attname
                  FROM pg_catalog.pg_class c
                  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
                 WHERE n.nspname = ? AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                   AND a.attnum > 0 AND NOT a.attisdropped""")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.computeIfAbsent(rs.getString(1), k -> new HashSet<>()).add(rs.getString(2));
                }
            }
        }
        return columns;
    }

    private static String currentSchema(Connection connection, String databaseDescription) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement("SELECT current_schema()");
                ResultSet rs = ps.executeQuery()) {
            String current = rs.next() ? rs.getString(1) : null;
            if (current == null) {
                throw new DaemonSchemaException("no schema on the search_path exists in " + databaseDescription
                        + "; check DB_EXTRAS (-c search_path=...) or set reconciler.database-schema");
            }
            return current;
        }
    }

    public String schemaName() {
        return schema;
    }

    public boolean hasTable(String table) {
        return columns.containsKey(table);
    }

    public boolean hasColumn(String table, String column) {
        Set<String> c = columns.get(table);
        return c != null && c.contains(column);
    }

    /** True when a valid, non-partial unique index covers exactly these columns (duplicates are then impossible). */
    public boolean hasUniqueIndexOn(String table, Set<String> cols) {
        return uniqueIndexes.getOrDefault(table, List.of()).contains(cols);
    }

    /** Optional tables that do not exist, in a stable order. */
    public List<String> missingOptionalTables() {
        return OPTIONAL.keySet().stream().filter(t -> !columns.containsKey(t)).sorted().toList();
    }

    /** The qualified, quoted name of a table we know (never of user input); throws for any other name. */
    public String qualified(String table) {
        if (!REQUIRED.containsKey(table) && !OPTIONAL.containsKey(table)) {
            throw new IllegalArgumentException("not a daemon table: " + table);
        }
        return quote(schema) + "." + quote(table);
    }

    /** SQL for "when this row last changed" given the columns the table really has. */
    String changedAt(String alias, String table) {
        boolean created = hasColumn(table, "created_at");
        boolean updated = hasColumn(table, "updated_at");
        String p = alias == null ? "" : alias + ".";
        if (created && updated) {
            return "greatest(" + p + "created_at, " + p + "updated_at)";
        }
        if (created) {
            return p + "created_at";
        }
        if (updated) {
            return p + "updated_at";
        }
        return "CAST(NULL AS timestamptz)";
    }

    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
