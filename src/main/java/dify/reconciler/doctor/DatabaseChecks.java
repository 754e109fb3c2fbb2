package dify.reconciler.doctor;

import dify.reconciler.inventory.postgres.DaemonSchema;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * The doctor's database lines: reachable and its version, the daemon's schema, the grants the mode needs (asked
 * with {@code has_table_privilege}/{@code has_column_privilege}, never by trying a write), what the scan's lock watch
 * sees of other sessions, and the database's clock. One read-only transaction with {@code statement_timeout} and
 * {@code lock_timeout}: it only reads the catalog, so it takes no lock on a daemon table.
 */
public final class DatabaseChecks {

    /** The armed grants of docs/deploying.md: table-level privileges per table. */
    static final Map<String, List<String>> ARMED_TABLE_PRIVILEGES;
    /** The armed column grants of docs/deploying.md: {@code UPDATE (column)} per table. */
    static final Map<String, String> ARMED_UPDATE_COLUMNS;

    static {
        List<String> insertDelete = List.of("INSERT", "DELETE");
        Map<String, List<String>> table = new LinkedHashMap<>();
        Map<String, String> update = new LinkedHashMap<>();
        for (String t : List.of(DaemonSchema.PLUGINS, DaemonSchema.DECLARATIONS, DaemonSchema.INSTALLATIONS,
                DaemonSchema.SERVERLESS_RUNTIMES, "tool_installations", "ai_model_installations", "agent_strategy_installations",
                "datasource_installations", "trigger_installations", DaemonSchema.ENDPOINTS)) {
            table.put(t, insertDelete);
            update.put(t, "updated_at");
        }
        update.put(DaemonSchema.PLUGINS, "refers");
        update.put(DaemonSchema.TENANT_STORAGES, "size");
        ARMED_TABLE_PRIVILEGES = Map.copyOf(table);
        ARMED_UPDATE_COLUMNS = Map.copyOf(update);
    }

    private static final Pattern PLAIN_IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    private final DataSource dataSource;
    private final String schemaSetting;
    private final String databaseDescription;
    private final boolean armed;
    private final Clock clock;
    private final Duration statementTimeout;

    /**
     * @param schemaSetting {@code reconciler.database-schema}, or null for the daemon's {@code current_schema()}
     */
    public DatabaseChecks(DataSource dataSource, String schemaSetting, String databaseDescription, boolean armed, Clock clock,
            Duration statementTimeout) {
        this.dataSource = dataSource;
        this.schemaSetting = schemaSetting;
        this.databaseDescription = databaseDescription;
        this.armed = armed;
        this.clock = clock;
        this.statementTimeout = statementTimeout;
    }

    /** What the checks found; {@code clock} is null when the database could not be asked. */
    public record Result(List<DoctorCheck> checks, ClockSample clock) {
    }

    public Result run() {
        List<DoctorCheck> checks = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try {
                try (Statement s = c.createStatement()) {
                    // Bound values are not allowed in SET: the duration is ours, a whole number of milliseconds.
                    s.execute("SET LOCAL statement_timeout = " + statementTimeout.toMillis());
                    s.execute("SET LOCAL lock_timeout = " + statementTimeout.toMillis());
                }
                checks.add(database(c));
                ClockSample sample = databaseClock(c);
                DaemonSchema schema;
                try {
                    schema = DaemonSchema.inspect(c, schemaSetting, databaseDescription);
                } catch (RuntimeException e) {
                    checks.add(DoctorCheck.fail("daemon schema", message(e), "point DB_DATABASE (and DB_EXTRAS' search_path or"
                            + " reconciler.database-schema) at the plugin daemon's database, after the daemon ran its migrations"));
                    return new Result(checks, sample);
                }
                checks.add(DoctorCheck.ok("daemon schema", "schema " + schema.schemaName() + ": every table and column we read is"
                        + " present" + (schema.missingOptionalTables().isEmpty()
                                ? ""
                                : "; not created by this daemon yet (skipped): " + String.join(", ", schema.missingOptionalTables()))));
                String role = currentUser(c);
                checks.add(readGrants(c, schema, role));
                if (armed) {
                    checks.add(armedGrants(c, schema, role));
                }
                checks.add(lockWatchView(c));
                return new Result(checks, sample);
            } finally {
                c.rollback();
            }
        } catch (SQLException | RuntimeException e) {
            checks.add(DoctorCheck.fail("database", "cannot ask " + databaseDescription + ": " + message(e),
                    "check DB_HOST, DB_PORT, DB_DATABASE, DB_USERNAME and DB_PASSWORD (the plugin daemon's values), and that"
                            + " this host may connect (pg_hba.conf, network policies)"));
            return new Result(checks, null);
        }
    }

    private DoctorCheck database(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('server_version'), current_user, current_database()")) {
            rs.next();
            return DoctorCheck.ok("database", "reachable: PostgreSQL " + rs.getString(1) + ", database " + rs.getString(3)
                    + " as " + rs.getString(2) + " (" + databaseDescription + ")");
        }
    }

    private ClockSample databaseClock(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            Instant before = clock.instant();
            try (ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
                rs.next();
                Instant remote = rs.getTimestamp(1).toInstant();
                return new ClockSample("database", before, remote, clock.instant(), Duration.ofNanos(1000));
            }
        }
    }

    private static String currentUser(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_user")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Report mode: SELECT on every daemon table we read (a table-level grant, or one on each column we read). */
    private DoctorCheck readGrants(Connection c, DaemonSchema schema, String role) throws SQLException {
        Map<String, List<String>> read = new TreeMap<>(DaemonSchema.requiredColumns());
        read.putAll(DaemonSchema.optionalColumns());
        List<String> missing = new ArrayList<>();
        boolean usage = schemaUsage(c, schema.schemaName());
        for (Map.Entry<String, List<String>> t : read.entrySet()) {
            if (!schema.hasTable(t.getKey())) {
                continue;
            }
            if (!tablePrivilege(c, schema.schemaName(), t.getKey(), "SELECT")
                    && !t.getValue().stream().allMatch(col -> columnPrivilege(c, schema.schemaName(), t.getKey(), col, "SELECT"))) {
                missing.add(t.getKey());
            }
        }
        if (missing.isEmpty() && usage) {
            return DoctorCheck.ok("grants (report mode)", role + " may read every daemon table we read (SELECT) in schema "
                    + schema.schemaName());
        }
        List<String> fix = new ArrayList<>();
        if (!usage) {
            fix.add("GRANT USAGE ON SCHEMA " + quote(schema.schemaName()) + " TO " + quote(role) + ";");
        }
        for (String t : missing) {
            fix.add("GRANT SELECT ON " + quote(schema.schemaName()) + "." + quote(t) + " TO " + quote(role) + ";");
        }
        return DoctorCheck.fail("grants (report mode)", role + " lacks " + (usage
                ? ""
                : "USAGE on schema " + schema.schemaName()
                        + (missing.isEmpty() ? "" : " and "))
                + (missing.isEmpty() ? "" : "SELECT on " + String.join(", ", missing))
                + ": every scan fails", "as the daemon's database owner: " + String.join(" ", fix));
    }

    /** Armed: the writes docs/deploying.md lists, on the tables (and columns) this daemon has. */
    private DoctorCheck armedGrants(Connection c, DaemonSchema schema, String role) throws SQLException {
        Map<String, TreeSet<String>> missing = new TreeMap<>();
        for (Map.Entry<String, List<String>> t : ARMED_TABLE_PRIVILEGES.entrySet()) {
            if (schema.hasTable(t.getKey())) {
                for (String privilege : t.getValue()) {
                    if (!tablePrivilege(c, schema.schemaName(), t.getKey(), privilege)) {
                        missing.computeIfAbsent(t.getKey(), k -> new TreeSet<>()).add(privilege);
                    }
                }
            }
        }
        for (Map.Entry<String, String> t : ARMED_UPDATE_COLUMNS.entrySet()) {
            if (schema.hasColumn(t.getKey(), t.getValue())
                    && !columnPrivilege(c, schema.schemaName(), t.getKey(), t.getValue(), "UPDATE")) {
                missing.computeIfAbsent(t.getKey(), k -> new TreeSet<>()).add("UPDATE (" + quote(t.getValue()) + ")");
            }
        }
        if (missing.isEmpty()) {
            return DoctorCheck.ok("grants (armed)", role + " has every grant armed mode uses (INSERT, DELETE and the column UPDATEs"
                    + " of docs/deploying.md) on the daemon tables present");
        }
        List<String> what = new ArrayList<>();
        List<String> fix = new ArrayList<>();
        missing.forEach((table, privileges) -> {
            what.add(String.join(", ", privileges) + " on " + table);
            fix.add("GRANT " + String.join(", ", privileges) + " ON " + quote(schema.schemaName()) + "." + quote(table) + " TO "
                    + quote(role) + ";");
        });
        return DoctorCheck.fail("grants (armed)", role + " lacks " + String.join("; ", what)
                + ": the remedies on these tables would fail", "as the daemon's database owner: " + String.join(" ", fix));
    }

    /**
     * The scan's lock watch reads {@code pg_locks} joined with {@code pg_stat_activity} and calls
     * {@code pg_blocking_pids}; all of them answer for any role, but without {@code pg_read_all_stats} another role's
     * session shows no query or state (the watch does not need them).
     */
    private DoctorCheck lockWatchView(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FILTER (WHERE a.pid <> pg_backend_pid()),"
                        + " count(*) FILTER (WHERE a.pid <> pg_backend_pid() AND a.state IS NULL),"
                        + " coalesce(string_agg(DISTINCT nullif(a.application_name, ''), ', ')"
                        + "   FILTER (WHERE a.pid <> pg_backend_pid()), ''),"
                        + " (SELECT count(*) FROM pg_locks l WHERE l.pid <> pg_backend_pid()),"
                        + " cardinality(pg_blocking_pids(pg_backend_pid()))"
                        + " FROM pg_stat_activity a WHERE a.datname = current_database()")) {
            rs.next();
            long others = rs.getLong(1);
            long hidden = rs.getLong(2);
            String names = rs.getString(3);
            return DoctorCheck.ok("lock watch", "sees " + others + " other session(s) on this database"
                    + (names.isEmpty() ? "" : " (application names: " + names + ")") + " and " + rs.getLong(4)
                    + " lock(s) they hold or wait for; pg_blocking_pids answers"
                    + (hidden == 0
                            ? ""
                            : "; " + hidden + " session(s) of other roles show no state (no pg_read_all_stats),"
                                    + " which the watch does not need: it reads their pid, user, application name and locks"));
        }
    }

    private static boolean schemaUsage(Connection c, String schema) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT has_schema_privilege(?, 'USAGE')")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean tablePrivilege(Connection c, String schema, String table, String privilege) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT has_table_privilege(format('%I.%I', ?, ?), ?)")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, privilege);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean columnPrivilege(Connection c, String schema, String table, String column, String privilege) {
        try (PreparedStatement ps = c.prepareStatement("SELECT has_column_privilege(format('%I.%I', ?, ?), ?, ?)")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, column);
            ps.setString(4, privilege);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot ask for " + privilege + " (" + column + ") on " + table + ": " + e.getMessage(), e);
        }
    }

    /** An identifier as a GRANT needs it: bare when plain, else double-quoted. */
    static String quote(String identifier) {
        return PLAIN_IDENTIFIER.matcher(identifier).matches() ? identifier : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    static String message(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null || t instanceof RuntimeException
                && t.getCause() instanceof SQLException)) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
