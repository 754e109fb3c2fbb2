package dify.reconciler.remediate;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.util.Map;

/**
 * The Quarkus test profiles the in-process remediation tests share: each distinct profile (with its test resources)
 * is one Quarkus start, several seconds of CPU. Guards are off so each test proves one guard or remedy on its own:
 * one scan confirms, no minimum age, no share cap. The kinds and whether the policy is armed are each class's own,
 * set with {@link TestClassPolicy#use} in its {@code @BeforeAll} (cleared in {@code @AfterAll}); a class that shares a
 * profile leaves the daemon's tables, objects and Redis as it found them (each test undoes its plant and compares the
 * full dump), so the next class starts from the same dataset.
 */
public final class SharedProfiles {

    private SharedProfiles() {
    }

    /** Guards off, for a test that proves one remedy or guard at a time. */
    static Map<String, String> eager() {
        return Map.of("reconciler.remediation.confirmations", "1", "reconciler.remediation.min-age", "0s",
                "reconciler.remediation.min-age-info", "0s", "reconciler.remediation.max-share", "1");
    }

    /**
     * The service (the default mode: it plans after each scan, dry run by configuration) with deep verification (the
     * object remedies' checksum kinds need it). Resources: {@code DriftedDaemon} as the daemon's owner and
     * {@link DaemonRedis}. {@code TenantRemediesTest} adds Dify's database ({@code dify=tenants}) and so starts on its
     * own: with Dify's tenants readable, every row the other classes plant for a random workspace would be an
     * {@code installation_tenant_missing} finding too.
     */
    public static class Service implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new java.util.HashMap<>(eager());
            config.put("reconciler.deep-verify", "true");
            return config;
        }
    }

    /**
     * A one-shot command's process ({@code reconciler.mode=scan}: no plan after a scan, no leader election; the actor
     * lock is taken per command), armed by configuration, the cache's second delete 2 s after the first. Resources:
     * {@code DriftedDaemon} as the daemon's owner and {@link DaemonRedis}.
     */
    public static class Command implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new java.util.HashMap<>(eager());
            config.put("reconciler.mode", "scan");
            config.put("reconciler.remediation.dry-run", "false");
            config.put("reconciler.cache.second-delete-after", "2s");
            return config;
        }
    }
}
