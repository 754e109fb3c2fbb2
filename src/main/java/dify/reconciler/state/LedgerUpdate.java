package dify.reconciler.state;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One scan's update of the finding ledger: it is handed every finding while the scan runs (not only those the
 * report keeps), then either completed (the scan succeeded: what it saw is evidence, what it did not see is
 * closed) or abandoned (the scan failed: nothing is learnt, nothing is closed).
 */
public interface LedgerUpdate extends Consumer<Finding> {

    /**
     * @param seenAt   when the scan started: the first-seen time of a new finding
     * @param reported the findings the report lists (their history is returned)
     * @param counts   exact counts per kind
     * @return the ledger after the scan; {@link LedgerView#EMPTY} plus a note when it could not be updated
     */
    LedgerView complete(Instant seenAt, List<Finding> reported, Map<FindingKind, Long> counts);

    /**
     * Checks that did not run in this scan: {@link #complete} leaves their open entries open (not seen is not gone).
     * Called before {@link #complete}.
     */
    void keepOpen(Set<FindingKind> kinds);

    /** The scan failed: drop what was recorded for it. */
    void abandon();

    /** Why the ledger could not be updated, or null. */
    String problem();
}
