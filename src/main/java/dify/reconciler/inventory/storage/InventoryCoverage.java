package dify.reconciler.inventory.storage;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether a report covers a prefix the scan lists. An inventory configuration may be limited to a prefix, and its
 * manifest does not say which: so the first object a LIST of the prefix returns (one request) is looked up in the
 * report. An object older than the report that the report lacks means the report does not cover the prefix. Pure.
 */
public final class InventoryCoverage {

    private InventoryCoverage() {
    }

    /**
     * Why the report taken at {@code reportTime} does not cover {@code prefix}, or empty when nothing says so.
     *
     * @param firstListed the first object a LIST of the prefix returns now, empty when it has none
     * @param inReport    whether the report holds that object's key
     */
    public static Optional<String> problem(String report, String prefix, Optional<StoredObject> firstListed,
            boolean inReport, Instant reportTime) {
        if (firstListed.isEmpty() || inReport) {
            return Optional.empty();
        }
        StoredObject first = firstListed.get();
        if (first.lastModified() == null || !first.lastModified().isBefore(reportTime)) {
            return Optional.empty(); // written after the report was taken: its absence says nothing
        }
        return Optional.of("inventory report " + report + " does not cover " + prefix + ": the bucket holds " + first.key()
                + " since " + first.lastModified() + ", before the report was taken (" + reportTime + "), but the report"
                + " lacks it (is the inventory configuration limited to another prefix?)");
    }
}
