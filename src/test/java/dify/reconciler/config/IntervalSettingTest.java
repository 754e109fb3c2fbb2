package dify.reconciler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code reconciler.interval} as {@link ConfigurationCheck#intervalOrNull} reads it. */
class IntervalSettingTest {

    @Test
    void readsDurationsAndOff() {
        assertEquals(Duration.ofMinutes(10), ConfigurationCheck.intervalOrNull("10m"));
        assertEquals(Duration.ofHours(1), ConfigurationCheck.intervalOrNull(" PT1H "));
        assertNull(ConfigurationCheck.intervalOrNull("off"));
        assertNull(ConfigurationCheck.intervalOrNull("Disabled"));
    }

    @Test
    void anUnparsableIntervalNamesTheSettingAndKeepsTheParsersMessageAsItsCause() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigurationCheck.intervalOrNull("ten"));
        assertEquals("reconciler.interval='ten' is not a positive duration like 30s, 10m, 1h, or 'off'", e.getMessage());
        assertNotNull(e.getCause(), "the parser's exception is dropped");
        assertNotNull(e.getCause().getMessage());
    }

    @Test
    void aZeroOrNegativeIntervalNamesTheSetting() {
        for (String v : new String[] {"0s", "-5m"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigurationCheck.intervalOrNull(v));
            assertEquals("reconciler.interval='" + v + "' is not a positive duration like 30s, 10m, 1h, or 'off'", e.getMessage());
        }
    }
}
