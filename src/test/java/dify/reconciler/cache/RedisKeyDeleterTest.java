package dify.reconciler.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.RedisSettings;
import dify.reconciler.testsupport.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Lettuce adapter against a real redis-server, directly and through a real Sentinel, as the daemon connects. */
class RedisKeyDeleterTest {

    private static final String KEY = "plugin_daemon:serverless:runtime:langgenius/openai:0.0.19@6b2b2e115b1b9d34a63eb26fadcc33d7";

    private static RedisServer server;

    @BeforeAll
    static void start() {
        server = RedisServer.started();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Every test starts from an empty server: the methods run in random order, and each counts what it deleted. */
    @BeforeEach
    void empty() {
        server.withClient(0, r -> r.flushall());
    }

    private static RedisSettings settings(Map<String, String> env) {
        return RedisSettings.from(name -> Optional.ofNullable(env.get(name))).orElseThrow();
    }

    @Test
    void deletesExactlyTheGivenKeysInTheConfiguredDatabase() {
        server.withClient(5, r -> r.mset(Map.of(KEY, "v", KEY + "x", "v", "plugin_daemon:env_init_lock:x", "v")));
        server.withClient(0, r -> r.set(KEY, "db 0"));
        try (RedisKeyDeleter deleter = new RedisKeyDeleter(settings(Map.of("REDIS_HOST", server.host(), "REDIS_PORT",
                String.valueOf(server.port()), "REDIS_PASSWORD", RedisServer.PASSWORD, "REDIS_DB", "5")), Duration.ofSeconds(2))) {
            assertEquals(1, deleter.delete(List.of(KEY, "plugin_daemon:serverless:runtime:absent")));
            assertEquals(0, deleter.delete(List.of(KEY)), "already gone");
        }
        assertEquals(List.of("plugin_daemon:env_init_lock:x", KEY + "x"), server.withClient(5, r -> r.keys("*").stream().sorted()
                .toList()));
        assertEquals("db 0", server.withClient(0, r -> r.get(KEY)));
    }

    @Test
    void aWrongPasswordOrAStoppedServerFailsQuicklyAndAReturningServerIsUsedAgain() {
        try (RedisKeyDeleter wrong = new RedisKeyDeleter(settings(Map.of("REDIS_HOST", server.host(), "REDIS_PORT",
                String.valueOf(server.port()), "REDIS_PASSWORD", "not-the-password")), Duration.ofSeconds(2))) {
            RuntimeException e = assertThrows(RuntimeException.class, () -> wrong.delete(List.of(KEY)));
            assertFalse(String.valueOf(e.getMessage()).contains("not-the-password"), e.getMessage());
        }
        try (RedisKeyDeleter deleter = new RedisKeyDeleter(settings(Map.of("REDIS_HOST", server.host(), "REDIS_PORT",
                String.valueOf(server.port()), "REDIS_PASSWORD", RedisServer.PASSWORD)), Duration.ofSeconds(2))) {
            assertEquals(0, deleter.delete(List.of(KEY)));
            server.stop();
            long t0 = System.nanoTime();
            assertThrows(RuntimeException.class, () -> deleter.delete(List.of(KEY)));
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(5).toNanos(), "no reconnect loop");
            server.start();
            server.withClient(0, r -> r.set(KEY, "v"));
            assertEquals(1, deleter.delete(List.of(KEY)), "a new connection after the old one broke");
        } finally {
            server.start();
        }
    }

    @Test
    void findsTheMasterThroughAnAuthenticatedSentinel() {
        try (RedisServer sentinel = RedisServer.sentinelFor(server, "daemon-master", "sentinel-pw")) {
            server.withClient(1, r -> r.set(KEY, "v"));
            try (RedisKeyDeleter deleter = new RedisKeyDeleter(settings(Map.of("REDIS_USE_SENTINEL", "true", "REDIS_SENTINELS",
                    sentinel.host() + ":" + sentinel.port(), "REDIS_SENTINEL_SERVICE_NAME", "daemon-master",
                    "REDIS_SENTINEL_PASSWORD", "sentinel-pw", "REDIS_PASSWORD", RedisServer.PASSWORD, "REDIS_DB", "1")),
                    Duration.ofSeconds(2))) {
                assertEquals(1, deleter.delete(List.of(KEY)));
            }
            assertEquals(0L, (long) server.withClient(1, r -> r.exists(KEY)));
        }
    }
}
