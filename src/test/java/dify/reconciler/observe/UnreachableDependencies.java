package dify.reconciler.observe;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;

/**
 * A service whose database port has nothing listening and whose local storage root does not exist: it
 * starts (both are contacted lazily), and every scan fails in its first phase.
 */
public class UnreachableDependencies implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>();
        config.put("DB_HOST", "127.0.0.1");
        config.put("DB_PORT", String.valueOf(closedPort()));
        config.put("DB_USERNAME", "nobody");
        config.put("DB_PASSWORD", "nothing");
        config.put("PLUGIN_STORAGE_TYPE", "local");
        config.put("PLUGIN_STORAGE_LOCAL_ROOT", "/nonexistent/reconciler-test-storage");
        config.put("reconciler.interval", "off");
        config.put("reconciler.health.check-timeout", "2s");
        return config;
    }

    /** A port that was free a moment ago: connections to it are refused at once. */
    static int closedPort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The same, with readiness tied to the dependencies. */
    public static class StrictReadiness extends UnreachableDependencies {
        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new HashMap<>(super.getConfigOverrides());
            config.put("reconciler.health.readiness-requires-dependencies", "true");
            return config;
        }
    }
}
