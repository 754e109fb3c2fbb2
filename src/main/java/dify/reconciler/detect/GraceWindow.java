package dify.reconciler.detect;

import java.time.Instant;

/**
 * Rows and objects changed after {@code cutoff} may belong to an upload, install or uninstall still in
 * flight; detection leaves them out and counts them. A missing timestamp (nullable columns) counts as old.
 */
public record GraceWindow(Instant cutoff) {

    public boolean isYoung(Instant changedAt) {
        return changedAt != null && changedAt.isAfter(cutoff);
    }

    /** True when the row is young; it is then counted in {@code sink} and must be left alone. */
    public boolean sparesRow(Instant changedAt, FindingSink sink) {
        boolean young = isYoung(changedAt);
        if (young) {
            sink.rowInGrace();
        }
        return young;
    }

    /** True when the object is young; it is then counted in {@code sink} and must be left alone. */
    public boolean sparesObject(Instant lastModified, FindingSink sink) {
        boolean young = isYoung(lastModified);
        if (young) {
            sink.objectInGrace();
        }
        return young;
    }
}
