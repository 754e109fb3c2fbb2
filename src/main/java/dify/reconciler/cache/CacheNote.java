package dify.reconciler.cache;

import java.time.Duration;

/**
 * The line people read about one action's cache clearing: in the apply and restore output and in the audit
 * row's {@code cache} column. Says plainly when the daemon may still serve the old value, and for how long.
 */
public final class CacheNote {

    /** The daemon's Redis TTL for cached rows ({@code cache.AutoSet}: 30 minutes). */
    static final String STALE_FOR = "the daemon may serve the old value for up to 30 minutes";
    /** The in-process declaration cache (1024 entries, 600 s idle, refreshed on every hit): no one can clear it from outside. */
    static final String IN_MEMORY = "each daemon process may also keep the old declaration in memory until it goes"
            + " unused for 10 minutes: restart the daemon to make this change effective at once";

    /** One delete pass over an action's keys. */
    public record Pass(int deleted, int absent, String error) {

        public static Pass failed(String error) {
            return new Pass(0, 0, error);
        }

        public boolean failed() {
            return error != null;
        }
    }

    private CacheNote() {
    }

    /** When the action changed nothing the daemon caches in Redis. */
    public static String nothingCached() {
        return "nothing the daemon caches in Redis changed";
    }

    /** Without Redis settings (for every row action that made keys stale). */
    public static String notConfigured(int keys, boolean declarations, String why) {
        return "not cleared (" + why + "): " + keys + " cached key(s) may be stale; " + STALE_FOR
                + (declarations ? "; " + IN_MEMORY : "");
    }

    /** After the first pass (second still to come). */
    public static String firstPass(int keys, Pass first, boolean declarations) {
        return describe(keys, first) + (first.failed() ? "; " + STALE_FOR : "") + (declarations ? "; " + IN_MEMORY : "");
    }

    /** After both passes. */
    public static String bothPasses(int keys, Pass first, Pass second, Duration after, boolean declarations) {
        boolean stale = first.failed() || second.failed();
        String again = second.failed()
                ? "again after " + after.toMillis() + " ms failed (" + second.error() + ")"
                : "again after " + after.toMillis() + " ms: " + second.deleted() + " deleted";
        return describe(keys, first) + "; " + again + (stale ? "; " + STALE_FOR : "") + (declarations ? "; " + IN_MEMORY : "");
    }

    private static String describe(int keys, Pass p) {
        return p.failed()
                ? "clearing " + keys + " cached key(s) failed (" + p.error() + ")"
                : "cleared " + keys + " cached key(s): " + p.deleted() + " deleted, " + p.absent() + " not cached";
    }
}
