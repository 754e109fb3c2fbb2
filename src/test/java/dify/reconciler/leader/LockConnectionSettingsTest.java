package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LockConnectionSettingsTest {

    @Test
    void setsShortTimeoutsKeepAliveAndItsOwnName() {
        assertEquals(Map.of("ApplicationName", "dify-plugin-reconciler leader pod-1", "connectTimeout", "5", "socketTimeout", "10",
                "tcpKeepAlive", "true"), LockConnectionSettings.own("dify-plugin-reconciler leader pod-1", Duration.ofSeconds(5)));
        assertEquals("1", LockConnectionSettings.own("n", Duration.ofMillis(200)).get("connectTimeout"), "never 0 (no timeout)");
    }

    @Test
    void cutsTheApplicationNameToWhatPostgresKeeps() {
        assertEquals(63, LockConnectionSettings.applicationName("x".repeat(100)).length());
        assertEquals("leader h?st", LockConnectionSettings.applicationName("leader h\u00f6st"));
    }
}
