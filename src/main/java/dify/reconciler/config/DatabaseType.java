package dify.reconciler.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The daemon's {@code DB_TYPE} (default {@code postgresql}), matched exactly as the daemon matches it. Both
 * {@code postgresql} and {@code pgbouncer} are PostgreSQL; {@code pgbouncer} means a PgBouncer in front of it,
 * where (in transaction pooling) server-side prepared statements break, so the daemon turns them off and so
 * do we. The MySQL family ({@code mysql}, {@code oceanbase}, {@code seekdb}) is recognised but not supported.
 */
public enum DatabaseType {
    POSTGRESQL("postgresql", true),
    PGBOUNCER("pgbouncer", true),
    MYSQL("mysql", false),
    OCEANBASE("oceanbase", false),
    SEEKDB("seekdb", false);

    private final String label;
    private final boolean supported;

    DatabaseType(String label, boolean supported) {
        this.label = label;
        this.supported = supported;
    }

    /** The value of {@code DB_TYPE} that selects this type. */
    public String label() {
        return label;
    }

    /** Whether this reconciler can read the daemon's tables on this type of database. */
    public boolean supported() {
        return supported;
    }

    /** False behind PgBouncer: a statement prepared on one server connection is unknown on the next one. */
    public boolean serverSidePreparedStatements() {
        return this == POSTGRESQL;
    }

    /**
     * @throws IllegalArgumentException naming {@code DB_TYPE} for a value the daemon does not accept or we do not support
     */
    public static DatabaseType parse(String value) {
        String v = value == null ? "" : value.trim();
        for (DatabaseType type : values()) {
            if (type.label.equals(v)) {
                if (!type.supported) {
                    throw new IllegalArgumentException("DB_TYPE=" + v + ": " + v
                            + " is not supported (the reconciler reads PostgreSQL only: DB_TYPE=postgresql or pgbouncer)");
                }
                return type;
            }
        }
        throw new IllegalArgumentException("DB_TYPE='" + value + "' is not a database type the plugin daemon accepts"
                + " (exact, case-sensitive): " + Arrays.stream(values()).map(DatabaseType::label).collect(Collectors.joining(", ")));
    }
}
