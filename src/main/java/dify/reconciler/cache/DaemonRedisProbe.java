package dify.reconciler.cache;

import dify.reconciler.config.RedisSettings;
import java.time.Duration;

/**
 * Connects to the daemon's Redis exactly as the repairs do (same client, Sentinel, TLS, user, password and database)
 * and reads, without writing anything: {@code PING}, {@code DBSIZE} and a bounded {@code SCAN MATCH <prefix>:*}.
 */
public final class DaemonRedisProbe {

    /** At most this many SCAN pages of 1000 keys: a large Redis is sampled, not walked. */
    public static final int SCAN_ROUNDS = 20;

    /**
     * What Redis answered.
     *
     * @param keys {@code DBSIZE}
     * @param keyUnderPrefix one key under the daemon's prefix, or null when the scan met none
     * @param sampled true when the scan stopped before the end of the key space
     */
    public record View(String pong, long keys, String keyUnderPrefix, boolean sampled) {
    }

    private DaemonRedisProbe() {
    }

    /** Throws (Lettuce's exceptions) when Redis cannot be reached, refuses the credentials or a command. */
    public static View look(RedisSettings settings, Duration timeout) {
        try (RedisKeyDeleter client = new RedisKeyDeleter(settings, timeout)) {
            return client.view(settings.keyPrefix(), SCAN_ROUNDS);
        }
    }
}
