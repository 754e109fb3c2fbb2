package dify.reconciler.config;

import dify.reconciler.inventory.postgres.DifyDatabase;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where Dify's own (API) database is and how to log in to it, for the {@code installation_tenant_missing} check:
 * the daemon's server ({@code DB_HOST}, {@code DB_PORT}, {@code DB_SSL_MODE}) and credentials ({@code DB_USERNAME},
 * {@code DB_PASSWORD}) with the database {@code reconciler.dify-database}, unless {@code reconciler.dify-database-url},
 * {@code -username} or {@code -password} say otherwise. {@code DB_EXTRAS} is not applied: its {@code search_path}
 * names the daemon's schema, not Dify's. {@link #toString()} and {@link #description()} never show the password.
 *
 * @param url JDBC URL, without credentials
 * @param settings the settings that chose the target, named in every message about it
 */
public record DifyDatabaseSettings(String url, String username, String password, Map<String, String> driverProperties,
        String description, String settings) implements DifyDatabase {

    private static final Pattern POSTGRES_URL = Pattern.compile("jdbc:postgresql://([^/?#]*)/([^?#]+)(?:\\?.*)?");

    /** Empty when neither {@code reconciler.dify-database} nor {@code reconciler.dify-database-url} is set (check off). */
    public static Optional<DifyDatabaseSettings> from(ReconcilerConfig config, DaemonSettings daemon,
            Optional<String> daemonPassword) {
        Optional<String> name = config.difyDatabase().map(String::trim).filter(v -> !v.isEmpty());
        Optional<String> customUrl = config.difyDatabaseUrl().map(String::trim).filter(v -> !v.isEmpty());
        if (name.isEmpty() && customUrl.isEmpty()) {
            return Optional.empty();
        }
        String user = config.difyDatabaseUsername().map(String::trim).filter(v -> !v.isEmpty()).orElse(daemon.dbUsername());
        String password = config.difyDatabasePassword().or(() -> daemonPassword).orElse(null);
        Map<String, String> properties = new LinkedHashMap<>(JdbcConnectionProperties.of(daemon.dbType(), ""));
        properties.put("ApplicationName", "dify-plugin-reconciler");
        properties.put("connectTimeout", "10");
        properties.put("socketTimeout", "900");
        String credentials = (config.difyDatabaseUsername().isPresent() ? ", reconciler.dify-database-username" : ", DB_USERNAME")
                + (config.difyDatabasePassword().isPresent() ? ", reconciler.dify-database-password" : ", DB_PASSWORD");
        if (customUrl.isPresent()) {
            Matcher m = POSTGRES_URL.matcher(customUrl.get());
            // The value may carry a password in its parameters: never echo it.
            if (!m.matches() || m.group(1).isEmpty() || m.group(1).contains("@")) {
                throw new IllegalArgumentException("reconciler.dify-database-url is not a PostgreSQL JDBC URL of the form"
                        + " jdbc:postgresql://host[:port]/database[?parameters] (credentials go in"
                        + " reconciler.dify-database-username and reconciler.dify-database-password)");
            }
            return Optional.of(new DifyDatabaseSettings(customUrl.get(), user, password, properties,
                    "postgresql://" + m.group(1) + "/" + m.group(2) + " (user " + user + ")",
                    "reconciler.dify-database-url" + credentials));
        }
        properties.put("sslmode", daemon.dbSslMode());
        // The name travels in the URL path: refuse what would change the URL's meaning instead of escaping it.
        if (!name.get().matches("[A-Za-z0-9_$.-]+")) {
            throw new IllegalArgumentException("reconciler.dify-database='" + name.get()
                    + "' is not a plain database name (letters, digits, _ $ . -)");
        }
        String url = "jdbc:postgresql://" + daemon.dbHost() + ":" + daemon.dbPort() + "/" + name.get();
        return Optional.of(new DifyDatabaseSettings(url, user, password, properties,
                "postgresql://" + daemon.dbHost() + ":" + daemon.dbPort() + "/" + name.get() + " (user " + user + ", sslmode "
                        + daemon.dbSslMode() + ")",
                "reconciler.dify-database, DB_HOST, DB_PORT" + credentials));
    }

    /** The driver properties of a connection, credentials included (never log these). */
    @Override
    public Properties connectionProperties() {
        Properties p = new Properties();
        p.putAll(driverProperties);
        p.setProperty("user", username);
        if (password != null) {
            p.setProperty("password", password);
        }
        return p;
    }

    @Override
    public String toString() {
        return "DifyDatabaseSettings[" + description + "]";
    }
}
