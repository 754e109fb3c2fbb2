package dify.reconciler.leader;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * How the lock connection differs from the pool's connections, which it otherwise copies (the datasource URL,
 * user, password and the driver properties {@code DB_TYPE}/{@code DB_EXTRAS} ask for): its own
 * {@code ApplicationName}, so {@code pg_stat_activity} shows which replica leads; short connect and socket
 * timeouts, so a dead network fails a tick instead of hanging it for the pool's 15 minutes; TCP keep-alive.
 * pgjdbc lets a URL parameter win over a property, so those parameters are removed from the URL first.
 */
final class LockConnectionSettings {

    /** URL parameters this class sets itself (pgjdbc names, case-sensitive as pgjdbc reads them). */
    static final Set<String> OWN_PARAMETERS = Set.of("ApplicationName", "connectTimeout", "socketTimeout", "tcpKeepAlive");

    /** PostgreSQL truncates application_name to 63 bytes; we keep to ASCII so the cut is clean. */
    private static final int APPLICATION_NAME_MAX = 63;

    private LockConnectionSettings() {
    }

    /** {@code url} without the parameters of {@link #OWN_PARAMETERS}; everything else, in order. */
    static String url(String url) {
        int q = url.indexOf('?');
        if (q < 0) {
            return url;
        }
        StringBuilder kept = new StringBuilder();
        for (String parameter : url.substring(q + 1).split("&")) {
            String name = parameter.contains("=") ? parameter.substring(0, parameter.indexOf('=')) : parameter;
            if (parameter.isEmpty() || OWN_PARAMETERS.contains(name)) {
                continue;
            }
            kept.append(kept.length() == 0 ? "" : "&").append(parameter);
        }
        return kept.length() == 0 ? url.substring(0, q) : url.substring(0, q + 1) + kept;
    }

    /**
     * The driver properties of the lock connection.
     *
     * @param driverProperties what the pool also gets ({@code DaemonSettings.jdbcProperties()})
     * @param timeout connect timeout, and the socket timeout (a bit longer than the statement timeout, so the
     *        server's own timeout answers first when the server is merely slow)
     */
    static Properties properties(String user, String password, Map<String, String> driverProperties, String applicationName,
            Duration timeout) {
        Map<String, String> all = new LinkedHashMap<>(driverProperties);
        all.put("ApplicationName", applicationName(applicationName));
        all.put("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
        all.put("socketTimeout", Long.toString(Math.max(1, timeout.toSeconds()) * 2));
        all.put("tcpKeepAlive", "true");
        Properties properties = new Properties();
        properties.putAll(all);
        properties.setProperty("user", user);
        if (password != null) {
            properties.setProperty("password", password);
        }
        return properties;
    }

    /** {@code name} reduced to printable ASCII and 63 characters, as PostgreSQL would store it. */
    static String applicationName(String name) {
        String ascii = name.replaceAll("[^\\x20-\\x7e]", "?");
        return ascii.length() <= APPLICATION_NAME_MAX ? ascii : ascii.substring(0, APPLICATION_NAME_MAX);
    }
}
