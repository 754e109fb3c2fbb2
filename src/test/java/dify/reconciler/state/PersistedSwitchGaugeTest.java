package dify.reconciler.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.config.ProcessMode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The gauge the breaker and the suspension share: restored in a service's background, not in a one-shot command. */
class PersistedSwitchGaugeTest {

    private static final String NAME = "test_switch_on";

    @Test
    void aServiceReadsTheSwitchInTheBackgroundAndTheGaugeShowsIt() throws InterruptedException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PersistedSwitchGauge gauge = new PersistedSwitchGauge();
        CountDownLatch read = new CountDownLatch(1);
        AtomicReference<String> thread = new AtomicReference<>();
        gauge.register(registry, NAME, "a switch", ProcessMode.SERVICE, "switch-restore", () -> {
            thread.set(Thread.currentThread().getName());
            gauge.set(true); // the switch was left on before the restart
            read.countDown();
        });
        assertTrue(read.await(10, TimeUnit.SECONDS), "the switch was not read at start");
        assertEquals("switch-restore", thread.get());
        assertEquals(1.0, registry.get(NAME).gauge().value());
        gauge.set(false);
        assertEquals(0.0, registry.get(NAME).gauge().value());

        gauge.remove();
        assertNull(registry.find(NAME).gauge(), "the gauge outlived the application");
    }

    @Test
    void aOneShotCommandStartsNoReadButKeepsWhatItSets() throws InterruptedException {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        PersistedSwitchGauge gauge = new PersistedSwitchGauge();
        gauge.set(true); // read before start-up: kept, shown once registered
        AtomicInteger reads = new AtomicInteger();
        gauge.register(registry, NAME, "a switch", ProcessMode.ONE_SHOT, "switch-restore", reads::incrementAndGet);
        Thread.sleep(300); // a read thread, if one were started, has run by now
        assertEquals(0, reads.get(), "a one-shot command read the switch at start");
        assertEquals(1.0, registry.get(NAME).gauge().value());
    }
}
