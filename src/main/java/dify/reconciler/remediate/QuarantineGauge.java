package dify.reconciler.remediate;

import dify.reconciler.metrics.MetricNames;
import dify.reconciler.state.StateStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * {@code plugin_reconciler_quarantine_items{store="rows"}}: quarantined rows neither restored nor purged.
 * Counted after each scan, restore and purge (never on a scrape: a scrape must not query the database); 0
 * while state is in memory (there is no quarantine then).
 */
@ApplicationScoped
public class QuarantineGauge {

    private static final Logger LOG = Logger.getLogger(QuarantineGauge.class);

    private final AtomicLong rows = new AtomicLong();

    @Inject
    MeterRegistry registry;

    @Inject
    StateStore state;

    @Inject
    RemediationService remediation;

    void register(@Observes StartupEvent event) {
        Gauge.builder(MetricNames.QUARANTINE_ITEMS, rows, AtomicLong::get)
                .description("Quarantined items neither restored nor purged").tag(MetricNames.TAG_STORE, "rows")
                .register(registry);
    }

    /** Counts again; a failure keeps the last count (and is logged). */
    public void refresh() {
        if (!state.persisted()) {
            rows.set(0);
            return;
        }
        try {
            rows.set(remediation.rowQuarantine().count());
        } catch (Exception e) {
            LOG.warnf("could not count the quarantined rows: %s", e.getMessage());
        }
    }
}
