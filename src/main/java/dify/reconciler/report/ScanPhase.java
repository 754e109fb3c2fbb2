package dify.reconciler.report;

import java.util.Locale;

/**
 * The phases of a scan, in the order they run. Their labels are a public contract: the report's
 * {@code phaseSeconds} and {@code failedPhase}, and the {@code phase} tag of the run duration metric.
 */
public enum ScanPhase {
    /** Reading the daemon's tables (one snapshot) and the row-level checks on what PostgreSQL narrowed down. */
    DATABASE,
    /** The checks among the tables that need no further I/O. */
    DETECT,
    /** Each storage prefix merged against the rows; the database transaction ends at its start. */
    STORAGE,
    /** Reading package bytes ({@code reconciler.deep-verify}). */
    VERIFY,
    /** This node's copy of the daemon's working path ({@code reconciler.working-path}); no database transaction is open. */
    WORKING_PATH;

    /** The label of the whole run's duration, beside the phases' labels in {@link ScanReport#phaseDurations()}. */
    public static final String TOTAL = "total";

    /** The stable lowercase name, e.g. {@code storage}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
