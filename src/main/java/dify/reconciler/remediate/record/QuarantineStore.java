package dify.reconciler.remediate.record;

import java.time.Instant;

/**
 * One store of quarantined items (rows in our schema; objects under the quarantine prefix). {@link dify.reconciler.remediate.QuarantinePurge QuarantinePurge}
 * purges each store it is given, so another store is one more entry in its list.
 */
public interface QuarantineStore {

    /** The metric and report label: {@code rows}, {@code objects}. */
    String store();

    /** Items quarantined before {@code olderThan} and not restored: what a purge would delete. */
    long purgeable(Instant olderThan) throws Exception;

    /** Really deletes those items, auditing each as {@code purged}; returns how many. */
    long purge(Instant olderThan, String purgeRunId) throws Exception;
}
