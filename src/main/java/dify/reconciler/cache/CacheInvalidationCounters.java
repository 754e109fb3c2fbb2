package dify.reconciler.cache;

import dify.reconciler.metrics.MetricNames;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * {@code plugin_reconciler_cache_invalidations_total{outcome}}, every outcome at 0 from start-up (before any repair),
 * so {@code PluginReconcilerCacheInvalidationFailing}'s increase() sees the first failure.
 */
@Startup
@ApplicationScoped
public class CacheInvalidationCounters {

    private final MeterRegistry registry;

    @Inject
    public CacheInvalidationCounters(MeterRegistry registry) {
        this.registry = registry;
        for (CacheOutcome o : CacheOutcome.values()) {
            counter(o);
        }
    }

    public Counter counter(CacheOutcome outcome) {
        return Counter.builder(MetricNames.CACHE_INVALIDATIONS)
                .description("Stale daemon cache keys per delete pass after a repair, by outcome")
                .tag(MetricNames.TAG_OUTCOME, outcome.label()).register(registry);
    }
}
