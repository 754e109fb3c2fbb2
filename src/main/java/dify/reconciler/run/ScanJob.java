package dify.reconciler.run;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Service mode: a scan every {@code reconciler.interval}, never two at once. Failures are kept as the latest outcome. */
@ApplicationScoped
public class ScanJob {

    @Inject
    ScanRunner runner;

    @Scheduled(identity = "reconciler-scan", every = "${reconciler.interval:10m}", delayed = "${reconciler.first-scan-delay:5s}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void scan() {
        runner.scanIfIdle();
    }
}
