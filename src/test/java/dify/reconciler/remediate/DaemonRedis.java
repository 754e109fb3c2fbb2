package dify.reconciler.remediate;

import dify.reconciler.testsupport.RedisServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * The plugin daemon's Redis for a {@code @QuarkusTest}: a real {@code redis-server} with a password, handed to the
 * service under the daemon's own variable names, with database {@value #DB} (so a key in database 0 tells
 * whether {@code REDIS_DB} was honoured).
 */
public class DaemonRedis implements QuarkusTestResourceLifecycleManager {

    static final int DB = 2;

    /** The running server, for the tests (same JVM). */
    static volatile RedisServer server;

    @Override
    public Map<String, String> start() {
        server = RedisServer.started();
        return Map.of("REDIS_HOST", server.host(), "REDIS_PORT", String.valueOf(server.port()), "REDIS_PASSWORD",
                RedisServer.PASSWORD, "REDIS_DB", String.valueOf(DB));
    }

    @Override
    public void stop() {
        if (server != null) {
            server.close();
        }
    }
}
