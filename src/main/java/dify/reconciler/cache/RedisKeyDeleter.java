package dify.reconciler.cache;

import dify.reconciler.config.RedisSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.File;
import java.time.Duration;
import java.util.List;

/**
 * Deletes exact keys in the daemon's Redis (Lettuce), connecting as the daemon does: directly or through its
 * Sentinels, with its user, password, database and TLS settings. One connection, opened on first use and
 * re-opened after it broke; a command waits at most {@code timeout}, and a Redis that is down fails at once
 * (no queueing, no reconnect loop).
 */
final class RedisKeyDeleter implements AutoCloseable {

    private final RedisClient client;
    private final RedisURI uri;
    private StatefulRedisConnection<String, String> connection;

    RedisKeyDeleter(RedisSettings s, Duration timeout) {
        this.uri = uri(s, timeout);
        this.client = RedisClient.create();
        ClientOptions.Builder options = ClientOptions.builder()
                .autoReconnect(false)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .timeoutOptions(TimeoutOptions.enabled(timeout));
        if (s.useSsl() && s.caCertsFile() != null) {
            options.sslOptions(SslOptions.builder().trustManager(new File(s.caCertsFile())).build());
        }
        client.setOptions(options.build());
    }

    /** Deletes the keys (one {@code DEL}); returns how many existed. Throws when Redis cannot be reached or refuses. */
    synchronized long delete(List<String> keys) {
        if (connection == null || !connection.isOpen()) {
            if (connection != null) {
                connection.closeAsync();
            }
            connection = null;
            connection = client.connect(uri);
        }
        Long n = connection.sync().del(keys.toArray(String[]::new));
        return n == null ? 0 : n;
    }

    /** What the doctor asks: the server answers PING, how many keys its database holds, one key under {@code prefix} if any. */
    synchronized DaemonRedisProbe.View view(String prefix, int scanRounds) {
        if (connection == null || !connection.isOpen()) {
            connection = client.connect(uri);
        }
        var sync = connection.sync();
        String pong = sync.ping();
        Long size = sync.dbsize();
        io.lettuce.core.ScanArgs match = io.lettuce.core.ScanArgs.Builder.matches(prefix + ":*").limit(1000);
        io.lettuce.core.KeyScanCursor<String> cursor = sync.scan(match);
        String found = cursor.getKeys().isEmpty() ? null : cursor.getKeys().get(0);
        for (int round = 1; found == null && !cursor.isFinished() && round < scanRounds; round++) {
            cursor = sync.scan(cursor, match);
            found = cursor.getKeys().isEmpty() ? null : cursor.getKeys().get(0);
        }
        return new DaemonRedisProbe.View(pong, size == null ? 0 : size, found, found == null && !cursor.isFinished());
    }

    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }

    private static RedisURI uri(RedisSettings s, Duration timeout) {
        RedisURI.Builder b;
        if (s.usesSentinel()) {
            b = RedisURI.builder().withSentinelMasterId(s.sentinelServiceName());
            for (RedisSettings.HostPort sentinel : s.sentinels()) {
                RedisURI.Builder sb = RedisURI.Builder.redis(sentinel.host(), sentinel.port())
                        .withTimeout(s.sentinelSocketTimeout() == null ? timeout : s.sentinelSocketTimeout());
                authenticate(sb, s.sentinelUsername(), s.sentinelPassword());
                tls(sb, s);
                b.withSentinel(sb.build());
            }
        } else {
            b = RedisURI.Builder.redis(s.host(), s.port());
        }
        authenticate(b, s.username(), s.password());
        tls(b, s);
        return b.withDatabase(s.database()).withTimeout(timeout).withClientName("dify-plugin-reconciler").build();
    }

    /** As go-redis: a password alone authenticates the default user ({@code AUTH pw}); with a user name, that ACL user. */
    private static void authenticate(RedisURI.Builder b, String username, String password) {
        if (!password.isEmpty()) {
            RedisCredentials credentials = RedisCredentials.just(username.isEmpty() ? null : username, password);
            b.withAuthentication(RedisCredentialsProvider.from(() -> credentials));
        }
    }

    private static void tls(RedisURI.Builder b, RedisSettings s) {
        if (s.useSsl()) {
            b.withSsl(true).withVerifyPeer(s.verifyPeer() ? SslVerifyMode.FULL : SslVerifyMode.NONE);
        }
    }
}
