package dify.reconciler.remediate.plan;

import java.util.Locale;

/**
 * The guards that stop a whole plan (not one finding): each trip withholds every candidate with reason
 * {@link WithheldReason#GUARD}, is listed in the plan and counted in {@code plugin_reconciler_guard_trips_total}.
 */
public enum GuardName {
    /** The scan failed: nothing it saw is a verdict. */
    FAILED_SCAN,
    /** A storage prefix listed nothing while the database says it holds objects. */
    EMPTY_LISTING,
    /** A storage prefix listed fewer than half of its recent maximum while the database says it holds objects. */
    SHRUNK_LISTING,
    /** A table or column we rely on is missing, or an unknown table holds {@code plugin_unique_identifier}. */
    UNKNOWN_SCHEMA,
    /** This plan hit {@code max-actions-per-run} or a kind's {@code max-share} with more eligible findings. */
    CAP,
    /** A cap tripped the breaker earlier and nobody acknowledged it yet. */
    BREAKER;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static GuardName parse(String label) {
        return valueOf(label.toUpperCase(Locale.ROOT));
    }
}
