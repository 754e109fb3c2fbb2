package dify.reconciler.run;

import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.report.ScanReport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/** The most recent runs, newest first, kept in memory (the service is stateless across restarts). */
@ApplicationScoped
public class RunHistory {

    @Inject
    ReconcilerConfig config;

    private final Deque<ScanReport> runs = new ArrayDeque<>();

    public synchronized void add(ScanReport report) {
        runs.addFirst(report);
        while (runs.size() > Math.max(1, config.runHistorySize())) {
            runs.removeLast();
        }
    }

    /** The latest run, successful or failed. */
    public synchronized Optional<ScanReport> latest() {
        return Optional.ofNullable(runs.peekFirst());
    }

    /** The latest successful run. */
    public synchronized Optional<ScanReport> latestSuccess() {
        return runs.stream().filter(ScanReport::succeeded).findFirst();
    }

    public synchronized List<ScanReport> recent() {
        return new ArrayList<>(runs);
    }
}
