package dify.reconciler.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class InvalidConfigurationServerTest {

    @Test
    void redactsTheValuesOfSecretNamedVariablesOnly() {
        Map<String, String> env = Map.of("DB_PASSWORD", "hunter22", "AWS_SECRET_KEY", "s3cr3tKey", "AWS_ACCESS_KEY", "AKIAXYZ",
                "DB_HOST", "db.internal", "SERVER_KEY", "tok3n", "PIN", "abc");
        String message = "cannot use hunter22 or s3cr3tKey or AKIAXYZ or tok3n at db.internal (abc)";
        assertEquals("cannot use *** or *** or *** or *** at db.internal (abc)",
                InvalidConfigurationServer.redact(message, env));
    }

    @Test
    void leavesShortValuesAloneSoThatOrdinaryWordsSurvive() {
        assertEquals("port 5432 is not a number: abc",
                InvalidConfigurationServer.redact("port 5432 is not a number: abc", Map.of("DB_PASSWORD", "abc")));
    }

    @Test
    void escapesTheReasonInsideTheHealthJson() {
        assertEquals("{\"status\":\"UP\",\"checks\":[{\"name\":\"dify-plugin-reconciler configuration\",\"status\":\"UP\","
                + "\"data\":{\"configurationValid\":false,\"sidecar\":true,\"error\":\"value \\\"x\\\"\\n\\tbad\"}}]}",
                InvalidConfigurationServer.healthJson("value \"x\"\n\tbad"));
    }

    @Test
    void exportsTheGaugeAtZero() {
        assertEquals("""
                # HELP plugin_reconciler_configuration_valid 1 = the configuration is valid and the service runs; \
                0 = invalid (sidecar keeps running, no scans)
                # TYPE plugin_reconciler_configuration_valid gauge
                plugin_reconciler_configuration_valid 0.0
                """, InvalidConfigurationServer.metricsText());
    }
}
