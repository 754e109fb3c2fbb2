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
}
