package dify.reconciler.observe;

import io.quarkus.runtime.configuration.DurationConverter;
import java.util.Locale;

/** {@code reconciler.interval} as the scheduler reads it ({@code 10m}, {@code PT1H}, {@code off}), in seconds. */
final class ScanInterval {

    private ScanInterval() {
    }

    /** Seconds between scheduled scans; 0 when they are off ({@code off} or {@code disabled}, as Quarkus' scheduler accepts). */
    static long seconds(String interval) {
        String v = interval == null ? "" : interval.trim().toLowerCase(Locale.ROOT);
        if (v.isEmpty() || v.equals("off") || v.equals("disabled")) {
            return 0;
        }
        return DurationConverter.parseDuration(v).toSeconds();
    }
}
