package dify.reconciler.state;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.jboss.logging.Logger;

/**
 * Where the reconciler keeps its own state: its schema in the daemon's database ({@code reconciler.state.schema},
 * created and upgraded by Flyway), or, when the credentials may not create or write it (report mode's
 * SELECT-only role), the JVM's memory, said in the log, the report, readiness data and
 * {@code plugin_reconciler_state_persisted}. Decided on first use and again before each scan while the
 * database could not be reached (a connection failure is not a verdict on the credentials).
 */
@ApplicationScoped
public class StateStore {

    private static final Logger LOG = Logger.getLogger(StateStore.class);

    /** Allow-list for the one identifier we splice into SQL. */
    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    /** Whether state outlives the process. */
    public enum Mode {
        PERSISTED,
        MEMORY
    }

    @Inject
    ReconcilerConfig config;

    @Inject
    DataSource dataSource;

    @Inject
    ProcessMode role;

    private Mode mode;
    private String reason;
    private boolean settled;

    /** Migrates our schema if that has not been settled yet; returns where state lives now. */
    public synchronized Mode ensure() {
        if (settled) {
            return mode;
        }
        String schema = schema();
        try {
            // Asked first, in one query: Flyway retries a schema it may not create for ten seconds, which a one-shot
            // would wait out, and an attempt bound to fail on the role's rights still costs its class loading and
            // validation (about 0.8 s of a one-shot's start), so it is not made (StateRights).
            String refusal = readRights(schema).refusal(schema);
            if (refusal != null) {
                throw new IllegalStateException(refusal);
            }
            if (!StateMigrations.allApplied(history(schema))) {
                // Flyway keeps its history table in our schema too; it migrates under its own advisory lock, so
                // replicas starting together run each migration once.
                new FluentConfiguration(StateStore.class.getClassLoader()).dataSource(dataSource).schemas(schema)
                        .defaultSchema(schema).createSchemas(true).table("flyway_schema_history")
                        .resourceProvider(new StateMigrations()).locations(StateMigrations.FOLDER)
                        .load().migrate();
            }
            // A schema another role created migrates as a no-op for us: check that we may also write it.
            requireWriteAccess(schema);
            mode = Mode.PERSISTED;
            reason = null;
            settled = true;
            LOG.infof("state: persisted in schema %s", schema);
        } catch (FlywayException | IllegalStateException e) {
            mode = Mode.MEMORY;
            reason = describe(e);
            // Unreachable database: try again before the next scan. Anything else (no right to create the
            // schema or write it) will not change while this process runs.
            settled = !isConnectionFailure(e);
            // Said as it is for this process: a service forgets on restart, a command when it ends.
            LOG.warnf("state: memory (%s); finding ages, run history and listing history are %s%s", reason,
                    role.oneShot() ? "not kept after this command" : "lost on restart",
                    settled || role.oneShot() ? "" : "; retried before the next scan");
        }
        return mode;
    }

    /** Where state lives now, without deciding it: null before the first {@link #ensure()}. For gauges and probes. */
    public synchronized Mode current() {
        return mode;
    }

    public synchronized Mode mode() {
        return mode == null ? ensure() : mode;
    }

    /** Why state is in memory; null when it is persisted. */
    public synchronized String reason() {
        mode();
        return reason;
    }

    public boolean persisted() {
        return mode() == Mode.PERSISTED;
    }

    /** Our schema's name, checked against the allow-list (it is spliced into SQL as an identifier). */
    public String schema() {
        String schema = config.state().schema();
        if (!SCHEMA_NAME.matcher(schema).matches()) {
            throw new IllegalStateException("reconciler.state.schema='" + schema
                    + "' is not a plain lower-case PostgreSQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)");
        }
        return schema;
    }

    /** {@code "<schema>".<table>} for one of our own tables. */
    public String table(String name) {
        return "\"" + schema() + "\"." + name;
    }

    DataSource dataSource() {
        return dataSource;
    }

    /**
     * Our tables that scans and remediation write (every table of our schema but Flyway's history; views such as
     * {@code finding_ledger} are not written); without INSERT, UPDATE and DELETE on each, state stays in memory (and
     * remediation, which needs persisted state, refuses to act).
     */
    static final List<String> WRITTEN_TABLES = List.of("runs", "scan_findings", "listing_history", "remediation_actions",
            "quarantine_rows", "quarantine_objects", "breaker_events", "finding_entries", "ledger_scans", "deep_verify_cache",
            "notify_state", "approval_plans", "remediation_suspension");

    /** The role's rights on our schema and its tables, in one round trip. */
    private StateRights readRights(String schema) {
        String sql = "SELECT n.oid IS NOT NULL, has_database_privilege(current_user, current_database(), 'CREATE'),"
                + " n.oid IS NOT NULL AND has_schema_privilege(current_user, n.oid, 'USAGE'),"
                + " ARRAY(SELECT c.relname::text FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p')"
                + " AND c.relname = ANY (?::text[]) AND NOT (" + mayWrite("c.oid") + ")"
                + " ORDER BY 1)"
                + " FROM (SELECT ?::name AS nspname) AS wanted LEFT JOIN pg_namespace n ON n.nspname = wanted.nspname";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("text", WRITTEN_TABLES.toArray()));
            ps.setString(2, schema);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next(); // one row: the LEFT JOIN keeps it when the schema is missing
                Array unwritable = rs.getArray(4);
                return new StateRights(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3),
                        List.of((String[]) unwritable.getArray()));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the rights on the database: " + e.getMessage(), e);
        }
    }

    /**
     * Flyway's history table as it is now; empty when it does not exist yet or cannot be read (Flyway then decides,
     * and says why if it cannot migrate).
     */
    private List<StateMigrations.Applied> history(String schema) {
        List<StateMigrations.Applied> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement exists = c.prepareStatement("SELECT to_regclass(format('%I.flyway_schema_history', ?::text))")) {
                exists.setString(1, schema);
                try (ResultSet rs = exists.executeQuery()) {
                    if (!rs.next() || rs.getString(1) == null) {
                        return rows;
                    }
                }
            }
            try (PreparedStatement ps = c
                    .prepareStatement("SELECT version, type, script, checksum, success FROM " + table("flyway_schema_history"));
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int checksum = rs.getInt(4);
                    rows.add(new StateMigrations.Applied(rs.getString(1), rs.getString(2), rs.getString(3),
                            rs.wasNull() ? null : checksum, rs.getBoolean(5)));
                }
            }
        } catch (SQLException e) {
            LOG.debugf(e, "state: Flyway's history could not be read; Flyway decides");
            rows.clear();
        }
        return rows;
    }

    /**
     * SQL that is true when the current role may insert, update and delete in {@code table} (a column or expression of
     * the query, never a value): one privilege per call, because {@code has_table_privilege} with a list is true when
     * the role holds any one of them.
     */
    private static String mayWrite(String table) {
        return "has_table_privilege(current_user, " + table + ", 'INSERT') AND has_table_privilege(current_user, " + table
                + ", 'UPDATE') AND has_table_privilege(current_user, " + table + ", 'DELETE')";
    }

    private void requireWriteAccess(String schema) {
        String sql = "SELECT bool_and(" + mayWrite("q.name") + ")"
                + " FROM (SELECT format('%I.%I', ?::text, t) AS name FROM unnest(?::text[]) AS t) AS q";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, schema);
            ps.setArray(2, c.createArrayOf("text", WRITTEN_TABLES.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next() || !rs.getBoolean(1)) {
                    throw new IllegalStateException(StateRights.noRightToWrite(schema));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the rights on schema " + schema + ": " + e.getMessage(), e);
        }
    }

    private static boolean isConnectionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("08")) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return "cannot create or update our schema: " + message.lines().findFirst().orElse(message);
    }
}
