package dify.reconciler.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The plugin daemon's Redis, read under the daemon's own variable names and defaults ({@code REDIS_*}), so the
 * reconciler shares the daemon's Secret and deletes the daemon's cached rows after a repair. Only used for
 * that: nothing else of ours lives in Redis. {@link #toString()} never shows a password.
 *
 * @param host {@code REDIS_HOST} (direct connection; unused with Sentinel)
 * @param port {@code REDIS_PORT}; the daemon has no default (its compose file and chart set 6379), nor do we need one
 *        other than 6379
 * @param username {@code REDIS_USERNAME} (ACL user), empty for the default user
 * @param password {@code REDIS_PASSWORD}, empty for none
 * @param database {@code REDIS_DB}, default 0
 * @param useSsl {@code REDIS_USE_SSL}: TLS (1.2 or later) to Redis and to the Sentinels
 * @param verifyPeer from {@code REDIS_SSL_CERT_REQS}: {@code CERT_NONE} skips certificate checks, as in the daemon;
 *        {@code CERT_OPTIONAL}, {@code CERT_REQUIRED} or unset verify
 * @param caCertsFile {@code REDIS_SSL_CA_CERTS}: a PEM file of CA certificates to trust, or null for the JVM's
 * @param keyPrefix {@code REDIS_KEY_PREFIX}, default (and when blank) {@code plugin_daemon}: every daemon key is
 *        {@code <prefix>:<logical key>}
 * @param sentinels {@code REDIS_SENTINELS} ({@code host:port,host:port}) when {@code REDIS_USE_SENTINEL} is true, else empty
 * @param sentinelServiceName {@code REDIS_SENTINEL_SERVICE_NAME}: the master's name
 * @param sentinelUsername {@code REDIS_SENTINEL_USERNAME}
 * @param sentinelPassword {@code REDIS_SENTINEL_PASSWORD}
 * @param sentinelSocketTimeout {@code REDIS_SENTINEL_SOCKET_TIMEOUT} (seconds, fractions allowed), or null when unset:
 *        the daemon's dial timeout with Sentinel
 */
public record RedisSettings(
        String host,
        int port,
        String username,
        String password,
        int database,
        boolean useSsl,
        boolean verifyPeer,
        String caCertsFile,
        String keyPrefix,
        List<HostPort> sentinels,
        String sentinelServiceName,
        String sentinelUsername,
        String sentinelPassword,
        Duration sentinelSocketTimeout) {

    /** The daemon's prefix when {@code REDIS_KEY_PREFIX} is unset or blank ({@code cache.SetKeyPrefix}). */
    public static final String DEFAULT_KEY_PREFIX = "plugin_daemon";

    /** One Sentinel's address. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /**
     * The daemon's Redis, or empty when none is configured ({@code REDIS_HOST} unset and {@code REDIS_USE_SENTINEL}
     * not true): then nothing is attempted and every repair reports that the daemon may serve the old value.
     *
     * @throws IllegalArgumentException naming the variable when a value is malformed, or when the daemon
     *         authenticates in a way we cannot ({@code REDIS_USE_AZURE_MANAGED_IDENTITY})
     */
    public static Optional<RedisSettings> from(Function<String, Optional<String>> lookup) {
        Function<String, Optional<String>> get = name -> lookup.apply(name).map(String::trim).filter(v -> !v.isEmpty());
        boolean sentinel = DaemonSettings.parseBoolean("REDIS_USE_SENTINEL", get.apply("REDIS_USE_SENTINEL").orElse("false"));
        Optional<String> host = get.apply("REDIS_HOST");
        if (!sentinel && host.isEmpty()) {
            return Optional.empty();
        }
        if (DaemonSettings.parseBoolean("REDIS_USE_AZURE_MANAGED_IDENTITY",
                get.apply("REDIS_USE_AZURE_MANAGED_IDENTITY").orElse("false"))) {
            throw new IllegalArgumentException("REDIS_USE_AZURE_MANAGED_IDENTITY=true: the reconciler cannot authenticate"
                    + " to Redis with Azure Entra ID; unset REDIS_HOST for the reconciler to leave the daemon's cache alone");
        }
        int port = parsePort("REDIS_PORT", get.apply("REDIS_PORT").orElse("6379"));
        int db = parseInt("REDIS_DB", get.apply("REDIS_DB").orElse("0"));
        if (db < 0) {
            throw new IllegalArgumentException("REDIS_DB='" + db + "' is not a database number");
        }
        boolean ssl = DaemonSettings.parseBoolean("REDIS_USE_SSL", get.apply("REDIS_USE_SSL").orElse("false"));
        String certReqs = get.apply("REDIS_SSL_CERT_REQS").orElse("").toUpperCase(Locale.ROOT);
        String caCerts = get.apply("REDIS_SSL_CA_CERTS").orElse(null);
        if (!List.of("", "CERT_NONE", "CERT_OPTIONAL", "CERT_REQUIRED").contains(certReqs)) {
            throw new IllegalArgumentException("REDIS_SSL_CERT_REQS='" + certReqs
                    + "' is not one of CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED");
        }
        if (ssl && certReqs.equals("CERT_REQUIRED") && caCerts == null) {
            throw new IllegalArgumentException("REDIS_SSL_CA_CERTS must be set when REDIS_SSL_CERT_REQS=CERT_REQUIRED");
        }
        List<HostPort> sentinels = List.of();
        String master = null;
        Duration socketTimeout = null;
        if (sentinel) {
            sentinels = Arrays.stream(get.apply("REDIS_SENTINELS").orElse("").split(",")).map(String::trim)
                    .filter(s -> !s.isEmpty()).map(RedisSettings::hostPort).toList();
            if (sentinels.isEmpty()) {
                throw new IllegalArgumentException("REDIS_SENTINELS is not set: required when REDIS_USE_SENTINEL=true"
                        + " (host:port,host:port)");
            }
            master = get.apply("REDIS_SENTINEL_SERVICE_NAME").orElseThrow(() -> new IllegalArgumentException(
                    "REDIS_SENTINEL_SERVICE_NAME is not set: the master's name, required when REDIS_USE_SENTINEL=true"));
            socketTimeout = get.apply("REDIS_SENTINEL_SOCKET_TIMEOUT").map(RedisSettings::seconds).filter(d -> !d.isZero())
                    .orElse(null);
        }
        return Optional.of(new RedisSettings(host.orElse(null), port, get.apply("REDIS_USERNAME").orElse(""),
                get.apply("REDIS_PASSWORD").orElse(""), db, ssl, !certReqs.equals("CERT_NONE"), ssl ? caCerts : null,
                get.apply("REDIS_KEY_PREFIX").orElse(DEFAULT_KEY_PREFIX), sentinels, master,
                get.apply("REDIS_SENTINEL_USERNAME").orElse(""), get.apply("REDIS_SENTINEL_PASSWORD").orElse(""), socketTimeout));
    }

    public boolean usesSentinel() {
        return !sentinels.isEmpty();
    }

    /** Where Redis is, for logs and reports (no password). */
    public String description() {
        String where = usesSentinel()
                ? "sentinel " + sentinelServiceName + " via " + sentinels
                : host + ":" + port;
        return "redis" + (useSsl ? "s" : "") + "://" + (username.isEmpty() ? "" : username + "@") + where + "/" + database
                + " (key prefix " + keyPrefix + (password.isEmpty() ? "" : ", with password") + ")";
    }

    @Override
    public String toString() {
        return "RedisSettings[" + description() + "]";
    }

    private static HostPort hostPort(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException("REDIS_SENTINELS entry '" + s + "' is not host:port");
        }
        return new HostPort(s.substring(0, colon), parsePort("REDIS_SENTINELS", s.substring(colon + 1)));
    }

    private static int parsePort(String name, String value) {
        int port = parseInt(name, value);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(name + "='" + value + "' is not a TCP port");
        }
        return port;
    }

    private static int parseInt(String name, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "='" + value + "' is not a number", e);
        }
    }

    private static Duration seconds(String value) {
        try {
            double s = Double.parseDouble(value);
            if (s < 0 || Double.isNaN(s) || Double.isInfinite(s)) {
                throw new NumberFormatException();
            }
            return Duration.ofNanos((long) (s * 1_000_000_000L));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("REDIS_SENTINEL_SOCKET_TIMEOUT='" + value + "' is not a number of seconds", e);
        }
    }
}
