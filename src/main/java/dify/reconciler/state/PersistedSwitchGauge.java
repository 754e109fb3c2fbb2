package dify.reconciler.state;

import dify.reconciler.config.ProcessMode;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * The 0/1 gauge of a switch kept in our state, in its table when state is persisted or in the process when it is in
 * memory (the breaker, the suspension): 1 while on, as last read. Registered at start; a service then reads the
 * switch once in the background, so a switch left on before a restart shows at once (a one-shot command starts no
 * such thread: it reads the switch when it needs it, and nothing scrapes its gauge). Removed with the application
 * (the registry outlives it in tests that restart the application).
 */
public final class PersistedSwitchGauge {

    private static final Logger LOG = Logger.getLogger(PersistedSwitchGauge.class);

    private final AtomicLong value = new AtomicLong();
    private MeterRegistry registry;
    private Gauge gauge;

    /**
     * Registers the gauge and, in a service, reads the switch on a daemon thread {@code <thread>} ({@code read} sets
     * this gauge through {@link #set(boolean)}, as every read does); a failed read is logged and leaves the gauge as
     * it was until the next read.
     */
    public synchronized void register(MeterRegistry registry, String name, String description, ProcessMode role, String thread,
            Runnable read) {
        this.registry = registry;
        this.gauge = Gauge.builder(name, value, AtomicLong::get).description(description).register(registry);
        if (role.oneShot()) {
            return;
        }
        Thread restore = new Thread(() -> {
            try {
                read.run();
            } catch (RuntimeException e) {
                LOG.warnf(e, "could not read the state behind %s (%s); it stays %d until the next read", name, thread, value.get());
            }
        }, thread);
        restore.setDaemon(true);
        restore.start();
    }

    public void set(boolean on) {
        value.set(on ? 1 : 0);
    }

    /** The value as last set: 1 while the switch is on. */
    public long value() {
        return value.get();
    }

    public synchronized void remove() {
        if (gauge != null) {
            registry.remove(gauge);
            gauge = null;
        }
    }

    /** This process's host name, recorded with each change of a switch (who acted where). */
    public static String instance() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown";
        }
    }
}
