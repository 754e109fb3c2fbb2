package dify.reconciler.observe;

import static dify.reconciler.metrics.MetricNames.STORAGE_REQUESTS;
import static dify.reconciler.metrics.MetricNames.TAG_OPERATION;
import static dify.reconciler.metrics.MetricNames.TAG_OUTCOME;

import dify.reconciler.inventory.storage.StorageRequestListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Counts the storage adapters' requests by operation and outcome. All six series exist from start-up
 * ({@code @Startup}: an application-scoped bean is otherwise created at its first use, and until a storage
 * request had been made the series were not exported at all).
 * An operation name the adapters do not document is counted as {@code other}, keeping the tag bounded.
 */
@Startup
@ApplicationScoped
public class StorageRequestMetrics implements StorageRequestListener {

    static final List<String> OPERATIONS = List.of("list", "head", "get");

    private final Map<String, Counter> ok = new HashMap<>();
    private final Map<String, Counter> error = new HashMap<>();
    private final MeterRegistry registry;
    private final List<Counter> owned = new CopyOnWriteArrayList<>();

    @Inject
    public StorageRequestMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (String operation : OPERATIONS) {
            ok.put(operation, counter(operation, "ok"));
            error.put(operation, counter(operation, "error"));
        }
    }

    @Override
    public void onRequest(String operation, boolean succeeded) {
        Map<String, Counter> byOperation = succeeded ? ok : error;
        Counter counter = byOperation.get(operation);
        if (counter == null) {
            counter = counter("other", succeeded ? "ok" : "error");
        }
        counter.increment();
    }

    private Counter counter(String operation, String outcome) {
        Counter counter = Counter.builder(STORAGE_REQUESTS).description("Requests to the bucket or folder")
                .tag(TAG_OPERATION, operation).tag(TAG_OUTCOME, outcome).register(registry);
        owned.add(counter);
        return counter;
    }

    /** Removes the counters when the application stops (see {@code ReconcilerMetrics#removeMeters}). */
    @PreDestroy
    void removeMeters() {
        owned.forEach(registry::remove);
        owned.clear();
    }
}
