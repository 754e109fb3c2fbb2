package dify.reconciler.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The PostgreSQL driver properties that {@code DB_TYPE} and {@code DB_EXTRAS} ask for, the way the daemon
 * applies them to its own connection:
 * <ul>
 * <li>{@code DB_TYPE=pgbouncer}: no server-side prepared statements (pgjdbc {@code prepareThreshold=0}).
 * <li>{@code DB_EXTRAS}: passed as libpq {@code options} (the daemon removes every {@code options=} in it and
 *     sends the rest as {@code options='…'}), typically {@code -c search_path=<schema>}; pgjdbc sends its
 *     {@code options} property in the same start-up packet field.
 * </ul>
 * Values travel as driver properties, never inside SQL or the URL, so no character needs escaping.
 */
public final class JdbcConnectionProperties {

    private JdbcConnectionProperties() {
    }

    /** pgjdbc's property names; every key of {@link #of}. */
    public static final String PREPARE_THRESHOLD = "prepareThreshold";
    public static final String OPTIONS = "options";

    /** The libpq options the daemon derives from {@code DB_EXTRAS}; empty when there are none. */
    public static String libpqOptions(String dbExtras) {
        return dbExtras == null ? "" : dbExtras.replace("options=", "").trim();
    }

    /** The driver properties for this database type and these libpq options (possibly none). */
    public static Map<String, String> of(DatabaseType type, String libpqOptions) {
        Map<String, String> properties = new LinkedHashMap<>();
        if (!type.serverSidePreparedStatements()) {
            properties.put(PREPARE_THRESHOLD, "0");
        }
        if (libpqOptions != null && !libpqOptions.isEmpty()) {
            properties.put(OPTIONS, libpqOptions);
        }
        return properties;
    }
}
