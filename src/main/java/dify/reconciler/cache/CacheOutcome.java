package dify.reconciler.cache;

import java.util.Locale;

/**
 * What became of one stale key in one delete pass (metric tag {@code outcome} of
 * {@code plugin_reconciler_cache_invalidations_total}).
 */
public enum CacheOutcome {
    /** The key was there and is gone: the daemon reads the row from the database next time. */
    DELETED,
    /** The key was not cached (expired, never read, or already deleted): nothing to do. */
    ABSENT,
    /** Redis could not be reached or refused the command: the key may still be served for up to 30 minutes. */
    FAILED,
    /** No Redis settings ({@code REDIS_HOST} unset): nothing attempted, the key may be served for up to 30 minutes. */
    NOT_CONFIGURED;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
