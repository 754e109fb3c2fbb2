package dify.reconciler.report;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.FindingKind;
import dify.reconciler.catalog.Severity;
import dify.reconciler.state.LedgerView;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one scan, successful or not. A failed scan carries its {@code error} and no findings; it
 * is never presented as clean ({@link #result()} says so, and so do the exit code, metrics and health).
 *
 * @param runId          unique id of the run
 * @param startedAt      when the scan started
 * @param finishedAt     when it ended
 * @param result         success or failure
 * @param error          the cause of a failure (no secrets), null on success
 * @param failedPhase    the {@link ScanPhase#label() label} of the phase that failed, null on success
 * @param scope          what was scanned
 * @param findings       the findings, at most {@code reconciler.report.max-findings} of them (see {@code findingsTruncated})
 * @param findingsTruncated true when more findings were detected than the report keeps (counts stay exact)
 * @param summary        exact counts
 * @param phaseDurations how long each completed phase took, by {@link ScanPhase#label() label}, and the
 *                       {@link ScanPhase#TOTAL total}
 * @param notes          things the operator should know that are not drift (e.g. a table the daemon has not created yet)
 * @param state          where the reconciler's own state lives ({@code persisted} or {@code memory}, with the reason)
 * @param ledger         the finding ledger after this scan (first seen, consecutive scans); empty for a failed run
 */
public record ScanReport(
        String runId,
        Instant startedAt,
        Instant finishedAt,
        Result result,
        String error,
        String failedPhase,
        Scope scope,
        List<Finding> findings,
        boolean findingsTruncated,
        Summary summary,
        Map<String, Duration> phaseDurations,
        List<String> notes,
        State state,
        LedgerView ledger) {

    /** Where state lives: {@code persisted} or {@code memory}; {@code reason} says why memory. */
    public record State(String mode, String reason) {
    }

    public enum Result {
        SUCCESS,
        FAILURE
    }

    /**
     * What a scan looked at.
     *
     * @param storageType     {@code s3} or {@code local}
     * @param storage         description of the bucket or folder (no secrets)
     * @param database        description of the database (host, port, name; no password)
     * @param deepVerify      whether package bytes were verified
     * @param gracePeriod     rows and objects younger than this were left out
     * @param rowsScanned     rows read per table
     * @param objectsListed   objects listed per prefix
     * @param skippedTables   tables the daemon has not created (skipped, with a note)
     * @param workingPath     the daemon's working path as read on this node; null when {@code reconciler.working-path} is unset
     * @param checksNotRun    checks asked for that could not run, by kind label, with the reason (their count is no verdict)
     * @param packageBytesRead bytes deep verify downloaded (0 without deep verify)
     * @param packagesVerifiedFromCache packages and installed copies deep verify judged from a cached verdict instead of
     *                        reading them (unchanged since read, less than {@code reconciler.deep-verify-full-every} ago)
     */
    public record Scope(
            String storageType,
            String storage,
            String database,
            boolean deepVerify,
            Duration gracePeriod,
            Map<String, Long> rowsScanned,
            Map<String, Long> objectsListed,
            List<String> skippedTables,
            WorkingPathScope workingPath,
            Map<String, String> checksNotRun,
            long packageBytesRead,
            long packagesVerifiedFromCache) {
    }

    /**
     * What was read of the daemon's working path. It is node-local: each daemon node has its own.
     *
     * @param path                 the folder read ({@code reconciler.working-path})
     * @param node                 the node (pod) it was read on: {@code reconciler.node-name}, else {@code POD_NAME},
     *                             else {@code HOSTNAME}
     * @param pluginFolders        folders named {@code <author>/<name>-<version>@<checksum>} found
     * @param foldersInGrace       of those, changed within the grace period: counted, not judged (also in
     *                             {@code objectsInGrace})
     * @param unrecognizedEntries  other entries of the first two levels (files, links, other names): not judged
     * @param environmentsNotFollowed environments of installed local plugins whose interpreter link or {@code home}
     *                             points outside the working path (into the daemon's container): that part not judged
     * @param orphanedBytes        bytes held by {@code working_dir_orphaned} folders
     */
    public record WorkingPathScope(
            String path,
            String node,
            long pluginFolders,
            long foldersInGrace,
            long unrecognizedEntries,
            long environmentsNotFollowed,
            long orphanedBytes) {
    }

    /**
     * Exact counts.
     *
     * @param total             number of findings
     * @param byKind            count per kind (every kind present, 0 when none)
     * @param bySeverity        count per severity (every severity present)
     * @param bytesByKind       bytes concerned per kind (orphaned objects)
     * @param rowsInGrace       rows left out because they are younger than the grace period
     * @param objectsInGrace    objects left out because they are younger than the grace period
     * @param unrecognizedKeys  objects under a known prefix whose key is not of a shape we know (never reported as orphans)
     * @param packagesUnverified objects deep verify could not judge (ZIP64, encrypted): neither clean nor drift
     */
    public record Summary(
            long total,
            Map<FindingKind, Long> byKind,
            Map<Severity, Long> bySeverity,
            Map<FindingKind, Long> bytesByKind,
            long rowsInGrace,
            long objectsInGrace,
            long unrecognizedKeys,
            long packagesUnverified) {
    }

    public boolean succeeded() {
        return result == Result.SUCCESS;
    }

    public Duration duration() {
        return Duration.between(startedAt, finishedAt);
    }

    /** Number of findings at or above {@code threshold}. */
    public long countAtLeast(Severity threshold) {
        if (summary == null) {
            return 0;
        }
        return summary.bySeverity().entrySet().stream()
                .filter(e -> e.getKey().atLeast(threshold))
                .mapToLong(Map.Entry::getValue)
                .sum();
    }
}
