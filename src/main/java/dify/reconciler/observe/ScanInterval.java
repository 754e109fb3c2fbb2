package dify.reconciler.observe;

import dify.reconciler.config.ConfigurationCheck;
import java.time.Duration;

/** {@code reconciler.interval} ({@code 10m}, {@code PT1H}, {@code off}) in seconds, for the interval gauge. */
final class ScanInterval {

    private ScanInterval() {
    }

    /** Seconds between scheduled scans; 0 when they are off. */
    static long seconds(String interval) {
        Duration d = ConfigurationCheck.intervalOrNull(interval);
        return d == null ? 0 : d.toSeconds();
    }
}
