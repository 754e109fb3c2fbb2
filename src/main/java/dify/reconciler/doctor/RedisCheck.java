package dify.reconciler.doctor;

import dify.reconciler.cache.DaemonRedisProbe;
import dify.reconciler.config.RedisSettings;
import java.time.Duration;
import java.util.Optional;

/**
 * The daemon's Redis, which only repairs use (they delete the daemon's cached copies of rows they changed). So an
 * unreachable or missing Redis is a failure armed, a warning in report mode (nothing would use it yet); a Redis whose
 * keys all lie outside {@code REDIS_KEY_PREFIX} is a warning (the prefix is probably not the daemon's).
 */
public final class RedisCheck {

    static final String NAME = "redis";

    private RedisCheck() {
    }

    /** @param settings the daemon's Redis, or empty when {@code REDIS_HOST} is unset (or null: the variables are wrong) */
    public static DoctorCheck run(Optional<RedisSettings> settings, Duration timeout, boolean armed) {
        if (settings.isEmpty()) {
            String detail = "not configured (REDIS_HOST is not set, REDIS_USE_SENTINEL is not true)";
            return armed
                    ? DoctorCheck.warn(NAME, detail + ": repairs cannot clear the daemon's cached rows, so it may serve the old"
                            + " value for up to 30 minutes after each repair", "set the daemon's REDIS_* variables (share its Secret)")
                    : DoctorCheck.ok(NAME, detail + "; report mode does not use Redis");
        }
        RedisSettings s = settings.get();
        DaemonRedisProbe.View view;
        try {
            view = DaemonRedisProbe.look(s, timeout);
        } catch (RuntimeException e) {
            String detail = "cannot reach " + s.description() + ": " + DatabaseChecks.message(e);
            String fix = "check REDIS_HOST/REDIS_PORT (or REDIS_SENTINELS), REDIS_USERNAME/REDIS_PASSWORD, REDIS_DB and"
                    + " REDIS_USE_SSL against the daemon's values, and that this host may connect";
            return armed
                    ? DoctorCheck.fail(NAME, detail + ": repairs could not clear the daemon's cached rows", fix)
                    : DoctorCheck.warn(NAME, detail + " (report mode does not use it; armed mode would)", fix);
        }
        String prefix = s.keyPrefix() + ":";
        if (view.keyUnderPrefix() != null) {
            return DoctorCheck.ok(NAME, "reachable: " + s.description() + "; keys under " + prefix + " exist (e.g. "
                    + view.keyUnderPrefix() + ")");
        }
        if (view.keys() == 0) {
            return DoctorCheck.ok(NAME, "reachable: " + s.description() + "; the database is empty (the daemon caches on"
                    + " demand, so an idle daemon may have no key yet)");
        }
        return DoctorCheck.warn(NAME, "reachable: " + s.description() + "; " + view.keys() + " key(s) in the database, none"
                + (view.sampled() ? " among the " + DaemonRedisProbe.SCAN_ROUNDS * 1000 + " sampled" : "")
                + " under " + prefix + ", so repairs would clear nothing the daemon reads",
                "set REDIS_KEY_PREFIX (and REDIS_DB) to the daemon's values; its default prefix is "
                        + RedisSettings.DEFAULT_KEY_PREFIX);
    }
}
