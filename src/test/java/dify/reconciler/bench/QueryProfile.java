package dify.reconciler.bench;

import dify.reconciler.testsupport.DaemonRows;
import dify.reconciler.testsupport.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the database phase of a scan goes: the statements {@code DaemonDatabaseReader} issues (copied here as
 * text, with the literals a scan of the benchmark data binds), each run once through JDBC the way the reader
 * runs it (read-only repeatable-read transaction, {@code work_mem = 64MB}, fetch size 5000, every row read) and
 * once under {@code EXPLAIN (ANALYZE, BUFFERS)}; plus candidate rewrites. Enabled with {@code -Dbench.explain=true}.
 * Keep the statements in step with {@code src/main/java/dify/reconciler/inventory/postgres/DaemonDatabaseReader.java}.
 */
final class QueryProfile {

    private static final Pattern EXECUTION = Pattern.compile("Execution Time: ([0-9.]+) ms");

    private final TestDatabase db;
    private final Map<String, String> queries = new LinkedHashMap<>();
    private final Map<String, String> rewrites = new LinkedHashMap<>();

    QueryProfile(TestDatabase db, List<String> suspectUids) {
        this.db = db;
        String changed = "greatest(created_at, updated_at)";
        String cutoff = "now()";
        queries.put("plugins", "SELECT id::text, plugin_unique_identifier, plugin_id, refers, install_type, " + changed
                + ", remote_declaration FROM \"public\".\"plugins\"");
        queries.put("declarations", "SELECT id::text, plugin_unique_identifier, plugin_id, " + changed
                + ", declaration FROM \"public\".\"plugin_declarations\"");
        queries.put("installationTallies", "SELECT plugin_unique_identifier, count(*), count(*) FILTER (WHERE runtime_type = 'remote'),"
                + " count(*) FILTER (WHERE " + changed + " > " + cutoff + ") FROM \"public\".\"plugin_installations\""
                + " GROUP BY plugin_unique_identifier");
        queries.put("installationsUsing(" + suspectUids.size() + " suspects)", "SELECT id::text, tenant_id::text, plugin_id,"
                + " plugin_unique_identifier, runtime_type, " + changed + " FROM \"public\".\"plugin_installations\""
                + " WHERE plugin_unique_identifier = ANY('{" + String.join(",", suspectUids) + "}'::text[])");
        for (String table : DaemonRows.CATEGORY_TABLES) {
            queries.put("identifierCounts(" + table + ")", "SELECT plugin_unique_identifier, count(*) FROM \"public\".\""
                    + table + "\" GROUP BY plugin_unique_identifier");
            queries.put("orphanedCategoryRows(" + table + ")", "SELECT c.id::text, c.tenant_id::text, c.plugin_id,"
                    + " c.plugin_unique_identifier, greatest(c.created_at, c.updated_at), c.provider FROM \"public\".\"" + table
                    + "\" c WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"plugin_installations\" i"
                    + " WHERE i.tenant_id = c.tenant_id AND i.plugin_id = c.plugin_id"
                    + " AND i.plugin_unique_identifier = c.plugin_unique_identifier)");
        }
        queries.put("count(endpoints)", "SELECT count(*) FROM \"public\".\"endpoints\"");
        queries.put("orphanedEndpoints", "SELECT e.id::text, e.tenant_id, e.plugin_id, greatest(e.created_at, e.updated_at), e.hook_id"
                + " FROM \"public\".\"endpoints\" e WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"plugin_installations\" i"
                + " WHERE i.plugin_id = e.plugin_id AND i.tenant_id = (CASE WHEN e.tenant_id ~"
                + " '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' THEN CAST(e.tenant_id AS uuid) END))");

        // Rewrites: all five category tables in one statement, so plugin_installations is read (and hashed) once.
        StringBuilder union = new StringBuilder();
        StringBuilder unionCounts = new StringBuilder();
        for (String table : DaemonRows.CATEGORY_TABLES) {
            if (union.length() > 0) {
                union.append(" UNION ALL ");
                unionCounts.append(" UNION ALL ");
            }
            union.append("SELECT '").append(table).append("' AS t, id, tenant_id, plugin_id, plugin_unique_identifier,"
                    + " created_at, updated_at, provider FROM \"public\".\"").append(table).append('"');
            unionCounts.append("SELECT '").append(table).append("' AS t, plugin_unique_identifier FROM \"public\".\"")
                    .append(table).append('"');
        }
        rewrites.put("orphanedCategoryRows, five tables in one anti-join", "SELECT c.t, c.id::text, c.tenant_id::text,"
                + " c.plugin_id, c.plugin_unique_identifier, greatest(c.created_at, c.updated_at), c.provider FROM (" + union
                + ") c WHERE NOT EXISTS (SELECT 1 FROM \"public\".\"plugin_installations\" i WHERE i.tenant_id = c.tenant_id"
                + " AND i.plugin_id = c.plugin_id AND i.plugin_unique_identifier = c.plugin_unique_identifier)");
        rewrites.put("identifierCounts, five tables in one GROUP BY", "SELECT t, plugin_unique_identifier, count(*) FROM ("
                + unionCounts + ") c GROUP BY t, plugin_unique_identifier");
        rewrites.put("orphanedCategoryRows(tool_installations), work_mem 4MB (server default)", "SET LOCAL work_mem = '4MB'; "
                + queries.get("orphanedCategoryRows(tool_installations)"));
    }

    /** Runs everything; writes the plans to {@code file}; returns a Markdown table of the timings. */
    String run(Path file) throws Exception {
        StringBuilder plans = new StringBuilder();
        StringBuilder table = new StringBuilder("| statement | rows | JDBC, all rows read | EXPLAIN ANALYZE execution |\n|---|---:|---:|---:|\n");
        double[] totals = new double[2];
        for (var e : queries.entrySet()) {
            row(e.getKey(), e.getValue(), plans, table, totals);
        }
        table.append(String.format(Locale.ROOT, "| **sum of the reader's statements** | | **%.0f ms** | **%.0f ms** |%n",
                totals[0], totals[1]));
        double[] ignored = new double[2];
        for (var e : rewrites.entrySet()) {
            row("rewrite: " + e.getKey(), e.getValue(), plans, table, ignored);
        }
        Files.writeString(file, plans.toString(), StandardCharsets.UTF_8);
        return table.toString();
    }

    private void row(String name, String sql, StringBuilder plans, StringBuilder table, double[] totals) {
        try {
            measure(name, sql, plans, table, totals);
        } catch (SQLException e) {
            table.append("| ").append(name).append(" | failed: ").append(e.getMessage().replace('|', '/')).append(" | | |\n");
        }
    }

    private void measure(String name, String sql, StringBuilder plans, StringBuilder table, double[] totals) throws SQLException {
        String setup = null;
        String statement = sql;
        if (sql.startsWith("SET LOCAL")) {
            int semi = sql.indexOf(';');
            setup = sql.substring(0, semi);
            statement = sql.substring(semi + 1).trim();
        }
        long rows = 0;
        double jdbcMs;
        String plan;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                st.execute("SET LOCAL work_mem = '64MB'");
                st.execute("SET LOCAL statement_timeout = '120s'"); // a pathological rewrite must not sink the run
                if (setup != null) {
                    st.execute(setup);
                }
                st.setFetchSize(5000);
                long t0 = System.nanoTime();
                try (ResultSet rs = st.executeQuery(statement)) {
                    int columns = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= columns; i++) {
                            rs.getString(i);
                        }
                        rows++;
                    }
                }
                jdbcMs = (System.nanoTime() - t0) / 1e6;
                StringBuilder p = new StringBuilder();
                try (ResultSet rs = st.executeQuery("EXPLAIN (ANALYZE, BUFFERS) " + statement)) {
                    while (rs.next()) {
                        p.append(rs.getString(1)).append('\n');
                    }
                }
                plan = p.toString();
            }
            c.rollback();
        }
        Matcher m = EXECUTION.matcher(plan);
        double execMs = m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
        totals[0] += jdbcMs;
        totals[1] += execMs;
        table.append(String.format(Locale.ROOT, "| %s | %,d | %.0f ms | %.0f ms |%n", name, rows, jdbcMs, execMs));
        plans.append("=== ").append(name).append(" (").append(rows).append(" rows, JDBC ")
                .append(String.format(Locale.ROOT, "%.0f ms", jdbcMs)).append(")\n").append(sql).append("\n\n").append(plan).append('\n');
    }

    static List<String> uidsOf(TestDatabase db, String where) throws SQLException {
        List<String> uids = new ArrayList<>();
        try (Connection c = db.connect(); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT plugin_unique_identifier FROM plugins WHERE " + where)) {
            while (rs.next()) {
                uids.add(rs.getString(1));
            }
        }
        return uids;
    }
}
