package dify.reconciler.detect;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.inventory.storage.StoredObject;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * When the objects come from an inventory report (a snapshot taken at {@code reportTime}), a finding that says an
 * object is missing, or that an object the report holds is orphaned or misnamed, is confirmed with one HEAD before it
 * is reported: an object that exists now is not missing; one that is gone now, or at another version, is not reported
 * either (the next scan sees it as it is). At most {@code maxHeads} per scan; past that a candidate is not reported and
 * its kind becomes a check that did not run (in part), so the ledger keeps its open entries open instead of closing
 * them. The decision is pure; {@code head} is the bucket's HEAD.
 */
public final class InventoryConfirmation implements Predicate<Finding> {

    /** Kinds that say the object at {@code key} does not exist. */
    static final Set<FindingKind> SAY_MISSING = EnumSet.of(FindingKind.INSTALLED_OBJECT_MISSING, FindingKind.PACKAGE_MISSING,
            FindingKind.ASSET_MISSING);
    /** Kinds that say the object at {@code key}, as the report saw it, should not be there. */
    static final Set<FindingKind> SAY_PRESENT = EnumSet.of(FindingKind.INSTALLED_OBJECT_ORPHANED, FindingKind.PACKAGE_ORPHANED,
            FindingKind.ASSET_ORPHANED, FindingKind.INVALID_INSTALLED_KEY);

    private final Function<String, Optional<StoredObject>> head;
    private final int maxHeads;
    private final Instant reportTime;
    private final FindingSink sink;
    private final Set<FindingKind> unconfirmed = EnumSet.noneOf(FindingKind.class);
    private int heads;
    private long droppedAsChanged;

    public InventoryConfirmation(Function<String, Optional<StoredObject>> head, int maxHeads, Instant reportTime,
            FindingSink sink) {
        this.head = head;
        this.maxHeads = maxHeads;
        this.reportTime = reportTime;
        this.sink = sink;
    }

    /** Whether {@code finding} is reported: true for kinds that need no confirmation, else what the HEAD says. */
    @Override
    public boolean test(Finding finding) {
        boolean missing = SAY_MISSING.contains(finding.kind());
        if (!missing && !SAY_PRESENT.contains(finding.kind()) || finding.key() == null) {
            return true;
        }
        if (heads >= maxHeads) {
            if (unconfirmed.add(finding.kind())) {
                sink.checkNotRun(finding.kind(), "listed from the inventory report of " + reportTime + ": more candidates than"
                        + " reconciler.storage.inventory-confirm-max (" + maxHeads + ") could be confirmed with a HEAD;"
                        + " those past it are not reported");
            }
            return false;
        }
        heads++;
        Optional<StoredObject> now = head.apply(finding.key());
        boolean confirmed = missing ? now.isEmpty() : now.isPresent() && sameVersion(finding, now.get());
        if (!confirmed) {
            droppedAsChanged++;
        }
        return confirmed;
    }

    private static boolean sameVersion(Finding finding, StoredObject now) {
        ObservedVersion seen = finding.observed();
        if (seen == null || seen.size() == null) {
            return true; // nothing to compare: it exists, which is what the finding says
        }
        return new StoredObject(finding.key(), seen.size(), seen.lastModified(), seen.etag()).sameVersionAs(now);
    }

    /** HEADs made. */
    public int heads() {
        return heads;
    }

    /** Candidates the HEAD contradicted (present after all, gone or changed since the report). */
    public long dropped() {
        return droppedAsChanged;
    }
}
