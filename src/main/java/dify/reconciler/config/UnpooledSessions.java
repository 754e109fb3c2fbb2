package dify.reconciler.config;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import javax.sql.DataSource;
import org.eclipse.microprofile.config.Config;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Sessions of the state database outside the service's pool, as the pool's connections are made: the datasource URL,
 * user and password, and the driver properties {@code DB_TYPE}/{@code DB_EXTRAS} ask for
 * ({@link DaemonSettings#jdbcProperties()}). Each user adds its own properties (its timeouts, its
 * {@code ApplicationName}): the leader election's lock connection, which must fail fast on a dead network, the
 * inventory listing's session, held for its temporary table through a storage phase of hours, and deep verify's cache
 * writer, held for its temporary table through a deep verify: neither must take one of the pool's few connections. pgjdbc lets a URL parameter win over a property, so a parameter the user sets itself
 * is removed from the URL first.
 */
public final class UnpooledSessions {

    private final String url;
    private final String user;
    private final String password;
    private final Map<String, String> driverProperties;

    /**
     * @param password null when none is set
     * @param driverProperties what the pool also gets ({@link DaemonSettings#jdbcProperties()})
     */
    public UnpooledSessions(String url, String user, String password, Map<String, String> driverProperties) {
        this.url = url;
        this.user = user;
        this.password = password;
        this.driverProperties = Map.copyOf(driverProperties);
    }

    /** The pool's settings ({@code quarkus.datasource.*}) and the daemon's driver properties. */
    public static UnpooledSessions of(Config settings, DaemonSettings daemon) {
        return new UnpooledSessions(settings.getValue("quarkus.datasource.jdbc.url", String.class),
                settings.getValue("quarkus.datasource.username", String.class),
                settings.getOptionalValue("quarkus.datasource.password", String.class).orElse(null), daemon.jdbcProperties());
    }

    /** A new session with {@code own} properties (pgjdbc names) over the pool's; the caller closes it. */
    public Connection open(Map<String, String> own) throws SQLException {
        return DriverManager.getConnection(urlWithout(url, own.keySet()), properties(own));
    }

    /**
     * A source of such sessions with {@code own} properties, each {@link DataSource#getConnection()} a new one.
     *
     * @throws IllegalArgumentException when the driver does not know a property
     */
    public DataSource dataSource(Map<String, String> own) {
        PGSimpleDataSource sessions = new PGSimpleDataSource();
        sessions.setURL(urlWithout(url, own.keySet()));
        try {
            for (Map.Entry<Object, Object> p : properties(own).entrySet()) {
                sessions.setProperty(p.getKey().toString(), p.getValue().toString());
            }
        } catch (SQLException e) {
            throw new IllegalArgumentException("the state database's driver properties are not accepted: " + e.getMessage(), e);
        }
        return sessions;
    }

    /** The user, the password, the pool's driver properties, then {@code own} (which win). */
    Properties properties(Map<String, String> own) {
        Map<String, String> all = new LinkedHashMap<>(driverProperties);
        all.putAll(own);
        Properties properties = new Properties();
        properties.putAll(all);
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        return properties;
    }

    /** {@code url} without the parameters named in {@code names} (case-sensitive, as pgjdbc reads them); the rest in order. */
    static String urlWithout(String url, java.util.Set<String> names) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        StringBuilder kept = new StringBuilder();
        for (String parameter : url.substring(q + 1).split("&")) {
            String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
            if (parameter.isEmpty() || names.contains(name)) {
                continue;
            }
            kept.append(kept.length() == 0 ? "" : "&").append(parameter);
        }
        return kept.length() == 0 ? url.substring(0, q) : url.substring(0, q + 1) + kept;
    }
}
