package dify.reconciler.doctor;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Whether the database's clock, the storage's and ours agree within a tolerance: the grace period compares a row's
 * {@code created_at} (the database's clock) and an object's last-modified (the storage's) with our now, and the
 * remediation's min-age does the same. Storage time is read only from an object we wrote (the armed probe), because
 * the newest listed object's last-modified says when someone last wrote, not what time it is now; so report mode
 * measures the database's clock only, and says so.
 */
public final class ClockSkewCheck {

    static final String NAME = "clock skew";

    private ClockSkewCheck() {
    }

    /**
     * @param database the database's clock, or null when it could not be read
     * @param storage the storage's clock from the probe object, or null when not measured
     * @param armed whether the write probe ran (armed, and allowed to write in this run) or not
     */
    public static DoctorCheck evaluate(ClockSample database, ClockSample storage, boolean armed, Duration tolerance) {
        List<String> seen = new ArrayList<>();
        List<String> beyond = new ArrayList<>();
        if (database != null) {
            seen.add("database " + database.describe() + " from ours");
            if (database.beyond(tolerance)) {
                beyond.add("database vs ours");
            }
        }
        if (storage != null) {
            seen.add("storage " + storage.describe() + " from ours (the probe object's last-modified)");
            if (storage.beyond(tolerance)) {
                beyond.add("storage vs ours");
            }
        }
        if (database != null && storage != null) {
            Duration between = storage.skew().minus(database.skew());
            Duration uncertainty = storage.uncertainty().plus(database.uncertainty());
            seen.add("storage " + ClockSample.seconds(between, true) + " (±" + ClockSample.seconds(uncertainty, false)
                    + ") from the database");
            if (between.abs().minus(uncertainty).compareTo(tolerance) > 0) {
                beyond.add("storage vs database");
            }
        }
        if (storage == null) {
            seen.add(armed
                    ? "storage not measured (the write probe failed or has no last-modified)"
                    : "storage not measured in report mode or without the write probe (only an object we write tells the"
                            + " storage's time; the newest listed object's last-modified is not a clock; armed, the write"
                            + " probe measures it)");
        }
        String detail = String.join("; ", seen) + "; tolerance " + ClockSample.seconds(tolerance, false);
        if (database == null && storage == null) {
            return DoctorCheck.warn(NAME, "not measured: " + detail, "fix the database and storage lines above first");
        }
        if (!beyond.isEmpty()) {
            return DoctorCheck.warn(NAME, String.join(", ", beyond) + " beyond the tolerance: " + detail,
                    "synchronise the clocks (NTP/chrony) of this host, the database server and the storage: the grace period"
                            + " and the remediation's min-age compare their timestamps, so a skewed clock makes a fresh"
                            + " object or row look old (or an old one new); or raise reconciler.doctor.clock-skew-tolerance");
        }
        return DoctorCheck.ok(NAME, detail);
    }
}
