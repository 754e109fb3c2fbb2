package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

    private static Optional<RedisSettings> from(Map<String, String> env) {
        return RedisSettings.from(name -> Optional.ofNullable(env.get(name)));
    }

    @Test
    void withoutRedisHostNothingIsConfigured() {
        assertTrue(from(Map.of()).isEmpty());
        assertTrue(from(Map.of("REDIS_HOST", "  ", "REDIS_PASSWORD", "secret", "REDIS_PORT", "6380")).isEmpty());
        assertTrue(from(Map.of("REDIS_USE_SENTINEL", "false", "REDIS_SENTINELS", "s1:26379")).isEmpty());
    }

    @Test
    void appliesTheDaemonsDefaults() {
        RedisSettings s = from(Map.of("REDIS_HOST", "redis")).orElseThrow();
        assertEquals("redis", s.host());
        assertEquals(6379, s.port());
        assertEquals(0, s.database());
        assertEquals("", s.username());
        assertEquals("", s.password());
        assertFalse(s.useSsl());
        assertEquals("plugin_daemon", s.keyPrefix());
        assertFalse(s.usesSentinel());
    }

    @Test
    void readsEveryDirectSetting() {
        Map<String, String> env = new HashMap<>(Map.of("REDIS_HOST", "redis.internal", "REDIS_PORT", "6380", "REDIS_USERNAME",
                "daemon", "REDIS_PASSWORD", "s3cret-pw", "REDIS_DB", "3", "REDIS_USE_SSL", "true", "REDIS_SSL_CERT_REQS",
                "cert_none", "REDIS_KEY_PREFIX", " tenant_a "));
        RedisSettings s = from(env).orElseThrow();
        assertEquals(6380, s.port());
        assertEquals("daemon", s.username());
        assertEquals("s3cret-pw", s.password());
        assertEquals(3, s.database());
        assertTrue(s.useSsl());
        assertFalse(s.verifyPeer(), "CERT_NONE skips verification, as in the daemon");
        assertEquals("tenant_a", s.keyPrefix(), "trimmed, as cache.SetKeyPrefix does");
        assertFalse(s.toString().contains("s3cret-pw"), s.toString());
        assertTrue(s.toString().contains("with password"), s.toString());
    }

    @Test
    void aBlankPrefixIsTheDaemonsDefault() {
        assertEquals("plugin_daemon", from(Map.of("REDIS_HOST", "r", "REDIS_KEY_PREFIX", "   ")).orElseThrow().keyPrefix());
    }

    @Test
    void readsTheSentinelSettings() {
        RedisSettings s = from(Map.of("REDIS_USE_SENTINEL", "true", "REDIS_SENTINELS", " s1:26379, s2:26380 ,",
                "REDIS_SENTINEL_SERVICE_NAME", "mymaster", "REDIS_SENTINEL_USERNAME", "sentinel-user", "REDIS_SENTINEL_PASSWORD",
                "sentinel-pw", "REDIS_SENTINEL_SOCKET_TIMEOUT", "0.5", "REDIS_PASSWORD", "master-pw")).orElseThrow();
        assertTrue(s.usesSentinel());
        assertNull(s.host());
        assertEquals(List.of(new RedisSettings.HostPort("s1", 26379), new RedisSettings.HostPort("s2", 26380)), s.sentinels());
        assertEquals("mymaster", s.sentinelServiceName());
        assertEquals("sentinel-user", s.sentinelUsername());
        assertEquals("sentinel-pw", s.sentinelPassword());
        assertEquals(Duration.ofMillis(500), s.sentinelSocketTimeout());
        assertFalse(s.toString().contains("sentinel-pw") || s.toString().contains("master-pw"), s.toString());
    }

    @Test
    void malformedValuesFailNamingTheVariable() {
        assertMessage("REDIS_PORT", Map.of("REDIS_HOST", "r", "REDIS_PORT", "redis"));
        assertMessage("REDIS_PORT", Map.of("REDIS_HOST", "r", "REDIS_PORT", "70000"));
        assertMessage("REDIS_DB", Map.of("REDIS_HOST", "r", "REDIS_DB", "-1"));
        assertMessage("REDIS_USE_SSL", Map.of("REDIS_HOST", "r", "REDIS_USE_SSL", "maybe"));
        assertMessage("REDIS_SSL_CERT_REQS", Map.of("REDIS_HOST", "r", "REDIS_SSL_CERT_REQS", "always"));
        assertMessage("REDIS_SSL_CA_CERTS", Map.of("REDIS_HOST", "r", "REDIS_USE_SSL", "1", "REDIS_SSL_CERT_REQS", "CERT_REQUIRED"));
        assertMessage("REDIS_SENTINELS", Map.of("REDIS_USE_SENTINEL", "true", "REDIS_SENTINEL_SERVICE_NAME", "m"));
        assertMessage("REDIS_SENTINELS", Map.of("REDIS_USE_SENTINEL", "t", "REDIS_SENTINELS", "s1", "REDIS_SENTINEL_SERVICE_NAME", "m"));
        assertMessage("REDIS_SENTINEL_SERVICE_NAME", Map.of("REDIS_USE_SENTINEL", "true", "REDIS_SENTINELS", "s1:26379"));
        assertMessage("REDIS_USE_AZURE_MANAGED_IDENTITY", Map.of("REDIS_HOST", "r", "REDIS_USE_AZURE_MANAGED_IDENTITY", "true"));
    }

    private static void assertMessage(String variable, Map<String, String> env) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> from(env));
        assertTrue(e.getMessage().contains(variable), e.getMessage());
    }
}
