package dify.reconciler.remediate.plan;

import dify.reconciler.metrics.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/** Counts and logs every guard trip ({@code plugin_reconciler_guard_trips_total{guard}}, each guard at 0 from start-up). */
@Startup
@ApplicationScoped
public class GuardTrips {

    private static final Logger LOG = Logger.getLogger(GuardTrips.class);

    private final MeterRegistry registry;
    private final Map<GuardName, Counter> counters = new EnumMap<>(GuardName.class);

    @Inject
    public GuardTrips(MeterRegistry registry) {
        this.registry = registry;
        for (GuardName g : GuardName.values()) {
            counters.put(g, Counter.builder(MetricNames.GUARD_TRIPS).description("Plans a remediation guard stopped, by guard")
                    .tag(MetricNames.TAG_GUARD, g.label()).register(registry));
        }
    }

    public void count(List<GuardTrip> trips, String planId) {
        for (GuardTrip t : trips) {
            counters.get(t.guard()).increment();
            LOG.warnf("remediation guard %s stopped plan %s: %s", t.guard().label(), planId, t.detail());
        }
    }

    @PreDestroy
    void removeMeters() {
        counters.values().forEach(registry::remove);
    }
}
