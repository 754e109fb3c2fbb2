package dify.reconciler.remediate.objects;

import dify.reconciler.inventory.storage.StoredObject;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.record.ObjectQuarantine;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides what to do with an object action a killed process left half done (pure: the entries and what the
 * store holds now in, a decision out; {@link dify.reconciler.remediate.apply.InterruptedObjectActions InterruptedObjectActions} reads and acts).
 *
 * <p>An action has at most one <em>moved</em> entry (old bytes copied under the quarantine prefix, then the
 * original deleted or replaced) and at most one <em>created</em> entry (the object we write, recorded with the
 * version we expect before the write and the version written after it). The steps, and what recovery does when
 * the process died after each:
 * <ul>
 * <li>quarantine_object: intent recorded, quarantine copy made, original deleted. While the original is still at
 * its recorded version: <b>roll back</b> (delete our copy if it is there and matches, forget the entry); the
 * original keeps the bytes, so nothing is lost and a next plan re-checks the finding. Once the original is gone
 * and our copy matches: <b>complete</b> (the copy is the only one; it stays, restore can put it back).
 * <li>copy_object over an existing target: old bytes' intent, their quarantine copy, the replacement's intent,
 * the replacement written, its version recorded. Target still the old bytes: <b>roll back</b> (the target holds
 * them, so deleting our copy loses nothing; finishing would need the source package verified again, which only
 * the applier does). Target already the replacement (same size and plain ETag as the source, at a
 * content-addressed key) with the old bytes in quarantine: <b>complete</b>; putting the old bytes back instead
 * would overwrite a verified repair with the corrupt or differing copy.
 * <li>copy_object / asset re-creation to an absent target: target still absent: <b>roll back</b> (forget the
 * intent); target holding the expected version: <b>complete</b>.
 * </ul>
 * Anything else (the object changed by someone else, neither at its key nor in quarantine, a copy that does not
 * match) is <b>undecided</b>: left alone and reported. Nothing here deletes the only copy of anything: a
 * quarantine copy is deleted only while the original is at its recorded version.
 */
public final class ObjectRecovery {

    public enum Verdict {
        ROLL_BACK,
        COMPLETE,
        UNDECIDED
    }

    /**
     * One entry of the action and what the store holds now at its key and at its quarantine key.
     *
     * @param atKeyHoldsQuarantinedBytes the object at the key has byte for byte the quarantine copy's content (read
     *        and compared by the caller): a put-back where the store gives every write a version of its own (Azure)
     */
    public record Seen(ObjectQuarantine.Entry entry, StoredObject atKey, StoredObject atQuarantineKey,
            boolean atKeyHoldsQuarantinedBytes) {

        public Seen(ObjectQuarantine.Entry entry, StoredObject atKey, StoredObject atQuarantineKey) {
            this(entry, atKey, atQuarantineKey, false);
        }
    }

    /**
     * What to do with one action: the quarantine copies to delete (only on roll back), the entries to forget (roll
     * back), the created entries whose written version to record (complete), and why.
     */
    public record Decision(String actionId, String action, String key, Verdict verdict, String detail, List<StoredObject> deleteCopies,
            List<Long> forget, List<Created> record) {
    }

    /** A created entry and the version now at its key, to record on completion. */
    public record Created(long entryId, StoredObject written) {
    }

    static final String ROLLED_BACK = "rolled back after an interrupted action";
    static final String COMPLETED = "completed after an interrupted action";

    private ObjectRecovery() {
    }

    /** Decides for one action from its incomplete entries (all of the same action id). */
    public static Decision decide(List<Seen> seen) {
        Seen moved = null;
        Seen created = null;
        for (Seen s : seen) {
            if (s.entry().created()) {
                if (created != null) {
                    return undecided(seen, "more than one created entry");
                }
                created = s;
            } else {
                if (moved != null) {
                    return undecided(seen, "more than one quarantined entry");
                }
                moved = s;
            }
        }
        Seen any = moved != null ? moved : created;
        if (any == null) {
            throw new IllegalArgumentException("no entries");
        }
        StoredObject now = any.atKey();
        if (moved != null && now != null
                && (ObjectQuarantine.sameAsRecorded(now, moved.entry()) || moved.atKeyHoldsQuarantinedBytes())) {
            // The original (or replaced target) still holds the old bytes: undo our steps.
            List<StoredObject> delete = new ArrayList<>();
            StoredObject copy = moved.atQuarantineKey();
            if (copy != null) {
                if (!sameBytesElsewhere(moved.entry(), copy)) {
                    return undecided(seen, "'" + moved.entry().quarantineKey() + "' holds " + copy.describeVersion()
                            + ", not our copy of " + moved.entry().recorded().describeVersion());
                }
                delete.add(copy);
            }
            return new Decision(any.entry().actionId(), any.entry().action(), any.entry().originalKey(), Verdict.ROLL_BACK,
                    ROLLED_BACK + ": '" + moved.entry().originalKey() + "' still holds its old bytes"
                            + (copy == null ? "" : "; our quarantine copy removed"),
                    delete, ids(seen), List.of());
        }
        boolean copyInQuarantine = moved == null
                || (moved.atQuarantineKey() != null && sameBytesElsewhere(moved.entry(), moved.atQuarantineKey()));
        if (created != null && now != null && writtenCopy(created.entry(), now) && copyInQuarantine) {
            return new Decision(any.entry().actionId(), any.entry().action(), any.entry().originalKey(), Verdict.COMPLETE,
                    COMPLETED + ": '" + created.entry().originalKey() + "' holds the written copy"
                            + (moved == null ? "" : ", its old bytes are in " + moved.entry().quarantineKey()),
                    List.of(), List.of(), List.of(new Created(created.entry().id(), now)));
        }
        if (created == null && now == null && copyInQuarantine && RemedyAction.QUARANTINE_OBJECT.label().equals(moved.entry().action())) {
            return new Decision(any.entry().actionId(), any.entry().action(), any.entry().originalKey(), Verdict.COMPLETE,
                    COMPLETED + ": '" + moved.entry().originalKey() + "' is gone, its bytes are in " + moved.entry().quarantineKey(),
                    List.of(), List.of(), List.of());
        }
        if (moved == null && now == null) {
            return new Decision(any.entry().actionId(), any.entry().action(), any.entry().originalKey(), Verdict.ROLL_BACK,
                    ROLLED_BACK + ": '" + created.entry().originalKey() + "' was not written", List.of(), ids(seen), List.of());
        }
        return undecided(seen, "'" + any.entry().originalKey() + "' holds "
                + (now == null ? "nothing" : now.describeVersion())
                + (moved == null
                        ? ""
                        : ", '" + moved.entry().quarantineKey() + "' holds "
                                + (moved.atQuarantineKey() == null ? "nothing" : moved.atQuarantineKey().describeVersion()))
                + ": neither the recorded old version nor the expected new one; left alone");
    }

    /**
     * Whether {@code copy}, at another key, holds the recorded object's bytes: same size, and the same ETag where both
     * are digests of the bytes (a server-side copy of a single-part S3 object keeps it; an Azure ETag is a version,
     * another for every copy).
     */
    static boolean sameBytesElsewhere(ObjectQuarantine.Entry recorded, StoredObject copy) {
        if (recorded.size() == null || recorded.size() != copy.size()) {
            return false;
        }
        return !StoredObject.isContentDigest(recorded.etag()) || !StoredObject.isContentDigest(copy.etag())
                || recorded.etag().equals(copy.etag());
    }

    /** The object at its own key is the recorded version: same size, and the same ETag where both have one. */
    static boolean sameContent(ObjectQuarantine.Entry recorded, StoredObject now) {
        if (recorded.size() == null || recorded.size() != now.size()) {
            return false;
        }
        return recorded.etag() == null || now.etag() == null || recorded.etag().equals(now.etag());
    }

    /**
     * The object at a created entry's key is the copy we wrote: the recorded version (the source's, read before the
     * write) where a copy keeps the tag, or its size where the store gives every write a tag of its own (Azure: the
     * copy's source precondition is what tied it to that version when it was written).
     */
    static boolean writtenCopy(ObjectQuarantine.Entry recorded, StoredObject now) {
        if (sameContent(recorded, now)) {
            return true;
        }
        return recorded.size() != null && recorded.size() == now.size() && StoredObject.isWriteVersion(recorded.etag())
                && StoredObject.isWriteVersion(now.etag());
    }

    private static List<Long> ids(List<Seen> seen) {
        return seen.stream().map(s -> s.entry().id()).toList();
    }

    private static Decision undecided(List<Seen> seen, String why) {
        ObjectQuarantine.Entry e = seen.get(0).entry();
        return new Decision(e.actionId(), e.action(), e.originalKey(), Verdict.UNDECIDED, "not recovered: " + why, List.of(),
                List.of(), List.of());
    }
}
