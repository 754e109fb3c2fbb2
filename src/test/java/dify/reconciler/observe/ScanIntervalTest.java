package dify.reconciler.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ScanIntervalTest {

    @Test
    void readsTheSchedulersDurationsAndOff() {
        assertEquals(600, ScanInterval.seconds("10m"));
        assertEquals(3600, ScanInterval.seconds("PT1H"));
        assertEquals(30, ScanInterval.seconds("30s"));
        assertEquals(0, ScanInterval.seconds("off"));
        assertEquals(0, ScanInterval.seconds("disabled"));
    }
}
