package dify.reconciler.inventory.storage;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether a report covers a prefix the scan lists, and is read as the bucket lists. An inventory configuration may be
 * limited to a prefix, and its manifest does not say which: so the first object a LIST of the prefix returns (one
 * request) is looked up in the report. An object older than the report that the report lacks means the report does not
 * cover the prefix; one the report holds at another size or ETag means its rows are not read as the listing gives them
 * (a provider writing a field otherwise than its documentation or our reader assumes), which would otherwise go unseen:
 * every candidate would be confirmed away as changed. Pure.
 */
public final class InventoryCoverage {

    private InventoryCoverage() {
    }

    /**
     * Why the report taken at {@code reportTime} cannot stand for {@code prefix}, or empty when nothing says so.
     *
     * @param firstListed the first object a LIST of the prefix returns now, empty when it has none
     * @param inReport    the report's row of that object's key, empty when it has none
     */
    public static Optional<String> problem(String report, String prefix, Optional<StoredObject> firstListed,
            Optional<StoredObject> inReport, Instant reportTime) {
        if (firstListed.isEmpty()) {
            return Optional.empty();
        }
        StoredObject first = firstListed.get();
        if (first.lastModified() == null || !first.lastModified().isBefore(reportTime)) {
            return Optional.empty(); // written after the report was taken: its absence or change says nothing
        }
        if (inReport.isEmpty()) {
            return Optional.of("inventory report " + report + " does not cover " + prefix + ": the bucket holds " + first.key()
                    + " since " + first.lastModified() + ", before the report was taken (" + reportTime + "), but the report"
                    + " lacks it (is the inventory configuration limited to another prefix?)");
        }
        StoredObject listed = inReport.get();
        if (listed.size() != first.size() || !Objects.equals(listed.etag(), first.etag())) {
            return Optional.of("inventory report " + report + " lists " + first.key() + " as " + listed.describeVersion()
                    + " but the bucket has it as " + first.describeVersion() + ", unchanged since before the report was taken ("
                    + reportTime + "): the report's rows are not read as the bucket lists them (a size or ETag written in"
                    + " another form than docs/inventory-reports.md assumes)");
        }
        return Optional.empty();
    }
}
