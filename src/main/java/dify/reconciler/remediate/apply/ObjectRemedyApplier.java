package dify.reconciler.remediate.apply;

import dify.reconciler.catalog.InvalidPackageException;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PackageIdentity;
import dify.reconciler.catalog.PluginPackageInspector;
import dify.reconciler.inventory.storage.ObjectChangedException;
import dify.reconciler.inventory.storage.ObjectStorage;
import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.remediate.record.ActionListener;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.ObjectQuarantine;
import dify.reconciler.remediate.record.QuarantinePrefix;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.write.DaemonRowReads;
import dify.reconciler.remediate.write.Step;
import dify.reconciler.remediate.write.StepHook;
import dify.reconciler.remediate.write.WriteTransactions;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Applies a plan's object actions, one at a time: re-check the finding's condition on the daemon's rows in a
 * short READ COMMITTED transaction, committed before any storage I/O (no database lock is ever held across a
 * bucket request); then compare the object's version with the one the scan observed; record the intent in
 * {@code quarantine_objects}; write (quarantine: copy under the quarantine prefix, verify the copy, delete the
 * original at its observed version; copy: verify the source's recomputed identifier, copy to an absent target);
 * audit. A changed object is skipped ({@code skipped_changed}), never forced. It acts only with the
 * {@link AccessGate}'s {@link Acting} token, on kinds the token allows (else {@code withheld}); a dry run is {@link #dryRun}.
 */
public final class ObjectRemedyApplier {

    private static final Logger LOG = Logger.getLogger(ObjectRemedyApplier.class);

    /** The outcome of the storage part, before it is audited. */
    private record Done(ActionOutcome outcome, String detail, String before, String after) {
    }

    private final DataSource dataSource;
    private final WriteTransactions tx;
    private final DaemonRowReads reads;
    private final ObjectStorage storage;
    private final QuarantinePrefix prefix;
    private final ObjectQuarantine quarantine;
    private final RemediationAudit audit;
    private final ActionListener listener;

    public ObjectRemedyApplier(DataSource dataSource, WriteTransactions tx, ObjectStorage storage, QuarantinePrefix prefix,
            ObjectQuarantine quarantine, RemediationAudit audit, ActionListener listener) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.reads = new DaemonRowReads(tx);
        this.storage = storage;
        this.prefix = prefix;
        this.quarantine = quarantine;
        this.audit = audit;
        this.listener = listener;
    }

    /** Applies the plan's object actions (row actions are the {@link RowRemedyApplier}'s and are left out). */
    public List<ActionResult> apply(RemediationPlan plan, Acting acting, String runId) {
        List<ActionResult> results = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (!a.action().onObject()) {
                continue;
            }
            ActionResult r = applyOne(plan, a, acting, runId);
            listener.outcome(a.kind().label(), a.action().label(), r.outcome());
            results.add(r);
        }
        return results;
    }

    /** What {@link #apply} would do, unarmed: each object action reported {@code dry_run}, nothing read or written. */
    public static List<ActionResult> dryRun(RemediationPlan plan, ActionListener listener) {
        List<ActionResult> results = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (!a.action().onObject()) {
                continue;
            }
            LOG.infof("[DRY RUN] would %s %s%s (%s): %s", a.action().label(), a.key(),
                    a.targetKey() == null ? "" : " to " + a.targetKey(), a.kind().label(), a.detail());
            ActionResult r = result(a, ActionOutcome.DRY_RUN, RowRemedyApplier.NOT_ARMED);
            listener.outcome(a.kind().label(), a.action().label(), r.outcome());
            results.add(r);
        }
        return results;
    }

    private ActionResult applyOne(RemediationPlan plan, PlannedAction a, Acting acting, String runId) {
        if (!acting.allows(a.kind())) {
            return audited(plan, a, runId, new Done(ActionOutcome.WITHHELD,
                    a.kind().label() + " is not listed in reconciler.remediation.kinds", null, null));
        }
        Done done;
        boolean interrupted = false;
        try {
            String skip = recheckRows(a);
            StepHook.reached(Step.rowsRechecked(a.action())); // committed, no lock held, nothing written yet
            if (skip != null) {
                done = new Done(ActionOutcome.SKIPPED_CHANGED, skip, null, null);
            } else {
                done = switch (Remedies.objects(a).work()) {
                    case QUARANTINE -> quarantineObject(a);
                    case RECREATE_ASSET -> recreateAsset(a);
                    case COPY -> copyObject(a);
                };
            }
        } catch (SQLException | RuntimeException | IOException e) {
            LOG.errorf(e, "remediation %s: %s on %s failed", a.id(), a.action().label(), a.key());
            done = new Done(ActionOutcome.FAILED, RowRemedyApplier.describe(e), null, null);
            interrupted = true; // a step may be half done: left incomplete for ObjectRecovery to settle
        }
        ActionResult r = result(a, done.outcome(), done.detail());
        String unwritten = audit(plan, a, runId, done);
        if (unwritten == null && !interrupted) {
            unwritten = complete(a);
        }
        return unwritten == null ? r : unrecorded(r, unwritten + "; recover settles the bucket once the database is back");
    }

    /**
     * The action's steps are done and audited: its entries are no longer ObjectRecovery's business. Null when
     * marked, else what went wrong.
     */
    private String complete(PlannedAction a) {
        try {
            quarantine.complete(a.id());
            return null;
        } catch (SQLException e) {
            // The next recovery finds the entries and completes them from what the store holds.
            LOG.errorf(e, "remediation %s: could not mark its entries complete", a.id());
            return "its entries could not be marked complete (" + RowRemedyApplier.describe(e) + ")";
        }
    }

    /**
     * An action whose outcome could not be written down (the database went away) is reported failed, whatever the
     * bucket holds: the run must not look successful while its audit, or the end of its quarantine entries, is
     * missing. Its entries stay incomplete, so {@code recover} settles what the bucket holds and audits it.
     */
    static ActionResult unrecorded(ActionResult r, String why) {
        return new ActionResult(r.actionId(), r.kind(), r.action(), r.table(), r.rowId(), ActionOutcome.FAILED,
                r.outcome().label() + ", but " + why + ": not recorded" + (r.detail() == null ? "" : " (" + r.detail() + ")"));
    }

    /** The rows' half of the re-check, committed (and every lock released) before the bucket is touched. */
    private String recheckRows(PlannedAction a) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                String skip = Remedies.objects(a).recheck(c, a, reads);
                c.commit();
                return skip;
            } catch (SQLException | RuntimeException e) {
                WriteTransactions.rollbackQuietly(c, e);
                throw e;
            }
        }
    }

    private Done quarantineObject(PlannedAction a) throws SQLException {
        StoredObject observed = observed(a.key(), a.observed());
        Optional<StoredObject> now = storage.head(a.key());
        if (!observed.sameVersionAs(now.orElse(null))) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, "the object changed since the scan: observed " + observed.describeVersion()
                    + ", now " + now.map(StoredObject::describeVersion).orElse("gone"), null, null);
        }
        StoredObject original = now.get();
        Quarantined q;
        try {
            q = copyToQuarantine(a, original, Step.QUARANTINE_OBJECT_INTENT_RECORDED);
        } catch (ObjectChangedException e) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, e.getMessage(), null, null);
        }
        StoredObject copy = q.copy();
        if (!sameContent(original, copy)) {
            storage.delete(copy);
            quarantine.forget(q.entry());
            return new Done(ActionOutcome.FAILED, "the quarantine copy " + copy.describeVersion() + " does not match the original "
                    + original.describeVersion() + ": removed it, the original stays", null, null);
        }
        StepHook.reached(Step.QUARANTINE_OBJECT_QUARANTINE_COPIED);
        try {
            storage.delete(original);
        } catch (ObjectChangedException e) {
            if (storage.head(a.key()).isPresent()) {
                storage.delete(copy);
                quarantine.forget(q.entry());
                return new Done(ActionOutcome.SKIPPED_CHANGED, e.getMessage(), null, null);
            }
            // Gone although the delete answered "changed": a resent conditional DELETE whose first attempt removed it
            // (its answer lost) can answer 412, or another writer removed it meanwhile. Either way the quarantine copy
            // is now the only copy of those bytes: it is kept, and the move counts as done.
            LOG.warnf("remediation %s: deleting %s answered '%s' but the object is gone: the move is complete, the"
                    + " quarantine copy %s is kept", a.id(), a.key(), e.getMessage(), copy.key());
        }
        StepHook.reached(Step.QUARANTINE_OBJECT_ORIGINAL_DELETED);
        if (Remedies.objects(a).reinstallable()) {
            // The daemon's install may have started between our re-check and the delete: its task row comes before
            // its copy of plugin/U and its transaction, so a second look now sees every install the delete can hurt.
            String installed = recheckRows(a);
            if (installed != null) {
                return putBack(a, original, q, installed);
            }
        }
        return new Done(ActionOutcome.APPLIED, "moved to " + prefix.keyFor(a.key()), versionJson(original), null);
    }

    /**
     * The daemon installed the identifier while we moved its installed copy: its write wins. The moved bytes go back
     * to the original key while it is still free (a copy the daemon wrote there since is left alone; ours then
     * stays recorded in quarantine), and the action is skipped.
     */
    private Done putBack(PlannedAction a, StoredObject original, Quarantined q, String why) throws SQLException {
        String meanwhile = "the daemon installed " + a.pluginUniqueIdentifier() + " meanwhile (" + why + ")";
        try {
            storage.copy(q.copy(), a.key(), null); // only to an absent key: never over what the daemon wrote
        } catch (ObjectChangedException e) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, meanwhile + ": '" + a.key() + "' was written again by the daemon ("
                    + e.getMessage() + "); the moved bytes stay recorded in " + q.copy().key(), versionJson(original), null);
        }
        StepHook.reached(Step.QUARANTINE_OBJECT_PUT_BACK);
        storage.delete(q.copy());
        quarantine.restored(q.entry());
        return new Done(ActionOutcome.SKIPPED_CHANGED, meanwhile + ": '" + a.key() + "' put back from " + q.copy().key(), null,
                null);
    }

    /**
     * Copies the verified source to the target. A plan without an observed target version copies to an absent
     * target only; with one (the finding's object: a differing or corrupt copy) the target at that version is
     * quarantined first and then replaced, and both steps are recorded so restore can undo them in reverse.
     */
    private Done copyObject(PlannedAction a) throws SQLException, IOException {
        Optional<StoredObject> target = storage.head(a.targetKey());
        StoredObject replaced = null;
        if (a.observed() == null) {
            if (target.isPresent()) {
                return new Done(ActionOutcome.SKIPPED_CHANGED, "'" + a.targetKey() + "' exists now ("
                        + target.get().describeVersion() + "): not overwritten", null, null);
            }
        } else {
            StoredObject observed = observed(a.targetKey(), a.observed());
            if (!observed.sameVersionAs(target.orElse(null))) {
                return new Done(ActionOutcome.SKIPPED_CHANGED, "'" + a.targetKey() + "' changed since the scan: observed "
                        + observed.describeVersion() + ", now " + target.map(StoredObject::describeVersion).orElse("gone"), null,
                        null);
            }
            replaced = target.get();
        }
        Optional<StoredObject> source = storage.head(a.key());
        if (source.isEmpty()) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, "the source '" + a.key() + "' is gone: nothing verified to copy", null,
                    null);
        }
        String identifier;
        try (InputStream in = storage.open(a.key())) {
            PackageIdentity identity = PluginPackageInspector.inspect(in);
            identifier = identity.identifier();
        } catch (InvalidPackageException e) {
            return new Done(ActionOutcome.FAILED, "the source '" + a.key() + "' is not a valid package (" + e.getMessage()
                    + "): not copied", null, null);
        }
        if (!identifier.equals(a.pluginUniqueIdentifier())) {
            return new Done(ActionOutcome.FAILED, "the source's recomputed identifier is " + identifier + ", not "
                    + a.pluginUniqueIdentifier() + ": not copied", null, null);
        }
        Quarantined quarantined = null;
        if (replaced != null) {
            quarantined = quarantineCopy(a, replaced);
            if (quarantined == null) {
                return new Done(ActionOutcome.SKIPPED_CHANGED, "'" + a.targetKey() + "' changed while it was quarantined", null,
                        null);
            }
        }
        // The expected version (the source's size and ETag) lets recovery tell our half-done copy from another object.
        long entry = quarantine.recordIntent(a, a.targetKey(), null, source.get(), true);
        StepHook.reached(Step.COPY_OBJECT_REPLACEMENT_INTENT_RECORDED);
        StoredObject written;
        try {
            // Guarded by the versions we verified: a source rewritten since is not copied, a target changed is not replaced.
            written = storage.copy(source.get(), a.targetKey(), replaced);
        } catch (ObjectChangedException e) {
            quarantine.forget(entry);
            return new Done(ActionOutcome.SKIPPED_CHANGED, e.getMessage() + (quarantined == null
                    ? ""
                    : " (the quarantined copy " + quarantined + " stays recorded; restore removes it)"), null, null);
        } catch (RuntimeException e) {
            quarantine.forget(entry);
            throw e;
        }
        StepHook.reached(Step.COPY_OBJECT_TARGET_REPLACED);
        quarantine.recordCreated(entry, written);
        StepHook.reached(Step.COPY_OBJECT_REPLACEMENT_RECORDED);
        String before = replaced == null ? null : versionJson(replaced);
        if (written.size() != source.get().size()) {
            return new Done(ActionOutcome.FAILED, "the copy has " + written.size() + " bytes, the source " + source.get().size()
                    + " (recorded: restore removes it)", before, versionJson(written));
        }
        return new Done(ActionOutcome.APPLIED, "copied verified " + a.key() + " to " + a.targetKey()
                + (quarantined == null ? "" : " (old bytes in " + quarantined.copy().key() + ")"), before, versionJson(written));
    }

    /**
     * Re-creates a missing asset from the package's {@code _assets/} folder: asset ids are deterministic
     * ({@code hex(sha256(bytes || file name))} plus the extension), so the entry whose id is the missing one holds
     * its bytes. Only from a package whose recomputed identifier is the declaration's, unchanged between reads;
     * written only where no object is.
     */
    private Done recreateAsset(PlannedAction a) throws SQLException, IOException {
        Optional<StoredObject> target = storage.head(a.targetKey());
        if (target.isPresent()) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, "'" + a.targetKey() + "' exists now: not overwritten", null, null);
        }
        Optional<StoredObject> source = storage.head(a.key());
        if (source.isEmpty()) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, "the package '" + a.key() + "' is gone: nothing verified to copy from",
                    null, null);
        }
        try (InputStream in = storage.open(a.key())) {
            String identifier = PluginPackageInspector.inspect(in).identifier();
            if (!identifier.equals(a.pluginUniqueIdentifier())) {
                return new Done(ActionOutcome.FAILED, "the package's recomputed identifier is " + identifier + ": not used", null,
                        null);
            }
        } catch (InvalidPackageException e) {
            return new Done(ActionOutcome.FAILED, "the package does not verify (" + e.getMessage() + "): not used", null, null);
        }
        String assetId = a.targetKey().substring(a.targetKey().lastIndexOf('/') + 1);
        byte[] bytes = PackageAssets.find(storage, a.key(), assetId);
        if (!source.get().sameVersionAs(storage.head(a.key()).orElse(null))) {
            return new Done(ActionOutcome.SKIPPED_CHANGED, "the package changed while it was read", null, null);
        }
        if (bytes == null) {
            return new Done(ActionOutcome.FAILED, "the verified package has no _assets/ file with id " + assetId, null, null);
        }
        long entry = quarantine.recordIntent(a, a.targetKey(), null, new StoredObject(a.targetKey(), bytes.length, null, null),
                true);
        StepHook.reached(Step.COPY_OBJECT_ASSET_INTENT_RECORDED);
        StoredObject written;
        try {
            // Only where no object is. A write whose answer was lost and whose retry met our own bytes comes back as written
            // (the storage compares the bytes, see S3ObjectStorage), so it is recorded as created like any other.
            written = storage.put(a.targetKey(), bytes, null);
        } catch (ObjectChangedException e) {
            quarantine.forget(entry);
            return new Done(ActionOutcome.SKIPPED_CHANGED, e.getMessage(), null, null);
        } catch (RuntimeException e) {
            quarantine.forget(entry);
            throw e;
        }
        StepHook.reached(Step.COPY_OBJECT_ASSET_WRITTEN);
        quarantine.recordCreated(entry, written);
        return new Done(ActionOutcome.APPLIED, "re-created from " + a.key() + " _assets/", null, versionJson(written));
    }

    /** A quarantine copy made before a replace, and its entry. */
    private record Quarantined(long entry, StoredObject copy) {
    }

    /** Copies {@code old} under the quarantine prefix and records it; null when it changed meanwhile. */
    private Quarantined quarantineCopy(PlannedAction a, StoredObject old) throws SQLException {
        Quarantined q;
        try {
            q = copyToQuarantine(a, old, Step.COPY_OBJECT_INTENT_RECORDED);
        } catch (ObjectChangedException e) {
            return null;
        }
        if (!sameContent(old, q.copy())) {
            storage.delete(q.copy());
            quarantine.forget(q.entry());
            throw new IllegalStateException("the quarantine copy " + q.copy().describeVersion() + " does not match "
                    + old.describeVersion() + ": removed it, nothing replaced");
        }
        StepHook.reached(Step.COPY_OBJECT_QUARANTINE_COPIED);
        return q;
    }

    /**
     * The first two steps of every quarantine: record the intent, then copy {@code old} under the quarantine prefix
     * (the intent is forgotten when the copy fails). Throws ObjectChangedException when {@code old} changed meanwhile.
     *
     * @param intentRecorded the step boundary after the intent is recorded (the action's own)
     */
    private Quarantined copyToQuarantine(PlannedAction a, StoredObject old, Step intentRecorded) throws SQLException {
        String quarantineKey = prefix.keyFor(old.key());
        long entry = quarantine.recordIntent(a, old.key(), quarantineKey, old, false);
        StepHook.reached(intentRecorded);
        try {
            return new Quarantined(entry, storage.copy(old, quarantineKey, null));
        } catch (RuntimeException e) {
            quarantine.forget(entry);
            throw e;
        }
    }

    /**
     * Same size, and the same ETag where both are digests of the bytes (S3's single-part ETag; an Azure ETag is a
     * version, another for every copy: there the copy's source precondition is what ties it to the original).
     */
    private static boolean sameContent(StoredObject original, StoredObject copy) {
        if (original.size() != copy.size()) {
            return false;
        }
        if (StoredObject.isContentDigest(original.etag()) && StoredObject.isContentDigest(copy.etag())) {
            return original.etag().equals(copy.etag());
        }
        return true;
    }

    private static StoredObject observed(String key, ObservedVersion v) {
        return new StoredObject(key, v.size() == null ? -1 : v.size(), v.lastModified(), v.etag());
    }

    private static String versionJson(StoredObject o) {
        return "{\"size\": " + o.size() + ", \"etag\": " + quoted(o.etag()) + ", \"lastModified\": "
                + quoted(o.lastModified() == null ? null : o.lastModified().toString()) + "}";
    }

    /** A JSON string; ETags are hex and quotes, timestamps ISO text: only '"' and '\' need escaping. */
    private static String quoted(String s) {
        return s == null ? "null" : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private ActionResult audited(RemediationPlan plan, PlannedAction a, String runId, Done done) {
        ActionResult r = result(a, done.outcome(), done.detail());
        String unwritten = audit(plan, a, runId, done);
        return unwritten == null ? r : unrecorded(r, unwritten);
    }

    /** Writes the outcome's audit row; null when written, else what went wrong. */
    private String audit(RemediationPlan plan, PlannedAction a, String runId, Done done) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            audit.recordObject(c, a.id(), plan.planId(), runId, a.kind().label(), a.action().label(), a.key(), a.targetKey(),
                    done.before(), done.after(), done.outcome(), done.detail());
        } catch (SQLException e) {
            LOG.errorf(e, "remediation %s: could not audit outcome %s", a.id(), done.outcome().label());
            return "its audit could not be written (" + RowRemedyApplier.describe(e) + ")";
        }
        LOG.infof("remediation %s: %s %s %s (%s): %s", a.id(), done.outcome().label(), a.action().label(), a.key(),
                a.kind().label(), done.detail());
        return null;
    }

    private static ActionResult result(PlannedAction a, ActionOutcome outcome, String detail) {
        return new ActionResult(a.id(), a.kind().label(), a.action().label(), null, a.key(), outcome, detail);
    }
}
