package dify.reconciler.doctor;

import java.time.Duration;
import java.time.Instant;

/**
 * Another clock read once, against ours: {@code before} and {@code after} are our clock around the request,
 * {@code remote} what the other side answered, {@code resolution} how coarse its timestamps are (S3's last-modified
 * has whole seconds). The skew is {@code remote} minus the middle of our window, known only to within half the window
 * plus the resolution: a slow round trip is not a skewed clock.
 */
public record ClockSample(String source, Instant before, Instant remote, Instant after, Duration resolution) {

    public Duration skew() {
        Instant middle = before.plus(Duration.between(before, after).dividedBy(2));
        return Duration.between(middle, remote);
    }

    public Duration uncertainty() {
        return Duration.between(before, after).dividedBy(2).plus(resolution);
    }

    /** Whether the skew is beyond {@code tolerance} even at the most favourable end of the uncertainty. */
    public boolean beyond(Duration tolerance) {
        return skew().abs().minus(uncertainty()).compareTo(tolerance) > 0;
    }

    /** {@code +1.234s (±0.010s)}. */
    public String describe() {
        return seconds(skew(), true) + " (±" + seconds(uncertainty(), false) + ")";
    }

    static String seconds(Duration d, boolean signed) {
        String s = String.format(java.util.Locale.ROOT, "%.3fs", d.toMillis() / 1000.0);
        return signed && !d.isNegative() ? "+" + s : s;
    }
}
