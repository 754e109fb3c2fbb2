package dify.reconciler.leader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class LockConnectionSettingsTest {

    @Test
    void removesTheParametersTheLockConnectionSetsItselfAndKeepsTheRest() {
        assertEquals("jdbc:postgresql://db:5432/dify_plugin?sslmode=require",
                LockConnectionSettings.url("jdbc:postgresql://db:5432/dify_plugin?sslmode=require&ApplicationName=dify-plugin-reconciler"
                        + "&connectTimeout=10&socketTimeout=900"));
        assertEquals("jdbc:postgresql://db/x?a=1&sslrootcert=/etc/ca.pem",
                LockConnectionSettings.url("jdbc:postgresql://db/x?a=1&tcpKeepAlive=false&sslrootcert=/etc/ca.pem"));
        assertEquals("jdbc:postgresql://db/x", LockConnectionSettings.url("jdbc:postgresql://db/x?socketTimeout=900"));
        assertEquals("jdbc:postgresql://db/x", LockConnectionSettings.url("jdbc:postgresql://db/x"));
    }

    @Test
    void keepsThePoolsDriverPropertiesAndAddsShortTimeoutsAndItsOwnName() {
        Properties p = LockConnectionSettings.properties("reader", "secret", Map.of("prepareThreshold", "0",
                "options", "-c search_path=plugins"), "dify-plugin-reconciler leader pod-1", Duration.ofSeconds(5));
        assertEquals("reader", p.getProperty("user"));
        assertEquals("secret", p.getProperty("password"));
        assertEquals("0", p.getProperty("prepareThreshold"));
        assertEquals("-c search_path=plugins", p.getProperty("options"));
        assertEquals("dify-plugin-reconciler leader pod-1", p.getProperty("ApplicationName"));
        assertEquals("5", p.getProperty("connectTimeout"));
        assertEquals("10", p.getProperty("socketTimeout"));
        assertEquals("true", p.getProperty("tcpKeepAlive"));
        assertFalse(LockConnectionSettings.properties("u", null, Map.of(), "n", Duration.ofSeconds(1)).containsKey("password"));
    }

    @Test
    void cutsTheApplicationNameToWhatPostgresKeeps() {
        assertEquals(63, LockConnectionSettings.applicationName("x".repeat(100)).length());
        assertEquals("leader h?st", LockConnectionSettings.applicationName("leader h\u00f6st"));
    }
}
