package dify.reconciler.leader;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How the lock connection differs from the pool's connections, which it otherwise copies
 * ({@link dify.reconciler.config.UnpooledSessions}): its own {@code ApplicationName}, so {@code pg_stat_activity} shows
 * which replica leads; short connect and socket timeouts, so a dead network fails a tick instead of hanging it for the
 * pool's 15 minutes; TCP keep-alive.
 */
final class LockConnectionSettings {

    /** PostgreSQL truncates application_name to 63 bytes; we keep to ASCII so the cut is clean. */
    private static final int APPLICATION_NAME_MAX = 63;

    private LockConnectionSettings() {
    }

    /**
     * The driver properties the lock connection sets itself (pgjdbc names).
     *
     * @param timeout connect timeout, and the socket timeout (a bit longer than the statement timeout, so the
     *        server's own timeout answers first when the server is merely slow)
     */
    static Map<String, String> own(String applicationName, Duration timeout) {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("ApplicationName", applicationName(applicationName));
        own.put("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
        own.put("socketTimeout", Long.toString(Math.max(1, timeout.toSeconds()) * 2));
        own.put("tcpKeepAlive", "true");
        return own;
    }

    /** {@code name} reduced to printable ASCII and 63 characters, as PostgreSQL would store it. */
    static String applicationName(String name) {
        String ascii = name.replaceAll("[^\\x20-\\x7e]", "?");
        return ascii.length() <= APPLICATION_NAME_MAX ? ascii : ascii.substring(0, APPLICATION_NAME_MAX);
    }
}
