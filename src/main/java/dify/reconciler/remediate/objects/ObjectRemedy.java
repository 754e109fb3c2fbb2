package dify.reconciler.remediate.objects;

import dify.reconciler.catalog.Finding;
import dify.reconciler.catalog.ObservedVersion;
import dify.reconciler.catalog.PluginIdentifier;
import dify.reconciler.catalog.StorageLayout;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.Remedy;
import dify.reconciler.remediate.plan.RemedyAction;
import dify.reconciler.remediate.write.DaemonRowReads;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * A remedy on the bucket: which keys it touches (from the finding and the daemon's layout), the check that a plan
 * read back names only such keys (a key outside its kind's daemon prefix is refused before anything is read or
 * written), and the database half of its re-check. The {@link dify.reconciler.remediate.apply.ObjectRemedyApplier ObjectRemedyApplier} does the storage steps its
 * {@link Work} names, each version-checked, with no database lock held during storage I/O.
 */
public abstract class ObjectRemedy implements Remedy {

    /** The storage steps the applier takes for the action. */
    public enum Work {
        /** Copy under the quarantine prefix, then delete (both version-checked). */
        QUARANTINE,
        /** Copy {@code key} to {@code targetKey}, quarantining a replaced target's old bytes first. */
        COPY,
        /** Write {@code targetKey} from the {@code _assets/} folder of the verified package at {@code key}. */
        RECREATE_ASSET
    }

    /** The object acted on (or the copy's source) and the copy's target (null for a quarantine). */
    record Keys(String key, String targetKey) {
    }

    public abstract Work work();

    /** The keys the action for this finding touches. */
    abstract Keys keys(Finding f, StorageLayout layout);

    /** Why the action's keys are not ones this remedy uses, as a clause for an error; null when they are. */
    abstract String problem(PlannedAction a, StorageLayout layout);

    /**
     * The database half of the re-check: the finding's condition on the daemon's rows, read in one short READ
     * COMMITTED transaction that the applier commits before any storage I/O. Why the action must not be applied
     * now, or null when it may.
     */
    public abstract String recheck(Connection c, PlannedAction a, DaemonRowReads reads) throws SQLException;

    /**
     * Whether a daemon install needs the object back: re-checked once more after the original is deleted, and put
     * back when an install came in between.
     */
    public boolean reinstallable() {
        return false;
    }

    @Override
    public PlannedAction plan(Finding f, String id, StorageLayout layout) {
        Keys keys = keys(f, layout);
        return new PlannedAction(id, f.kind(), action(), f.table(), f.id(), f.pluginUniqueIdentifier(), f.pluginId(), f.tenantId(),
                f.detail(), keys.key(), keys.targetKey(), objectVersion(f), null, null);
    }

    /**
     * The object's version an object action compares, when the finding is about that object (a quarantine, or a
     * replace of the finding's object); null for a finding about a row (a missing object: the target must be absent).
     */
    private static ObservedVersion objectVersion(Finding f) {
        return f.observed() != null && f.observed().size() != null ? f.observed() : null;
    }

    @Override
    public final String refusal(PlannedAction a, StorageLayout layout) {
        String why;
        if (a.key() == null) {
            why = "no key";
        } else if (a.observed() == null && a.action() == RemedyAction.QUARANTINE_OBJECT) {
            why = "no observed version to compare";
        } else {
            why = problem(a, layout);
        }
        return why == null
                ? null
                : "a " + a.kind().label() + " action on key '" + a.key() + "'"
                        + (a.targetKey() == null ? "" : " to '" + a.targetKey() + "'") + " is not one we make: " + why;
    }

    static String fileName(String key) {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** A copy to a missing key: it must not carry a version to replace (it never overwrites). */
    static String toAbsent(PlannedAction a, String from, String to) {
        if (a.observed() != null) {
            return "a copy to a missing key replaces nothing, so it has no observed version";
        }
        return copy(a, from, to);
    }

    /** A copy over the finding's object: its observed version is what may be replaced (after quarantine). */
    static String replace(PlannedAction a, String from, String to) {
        if (a.observed() == null) {
            return "no observed version of the object to replace";
        }
        return copy(a, from, to);
    }

    private static String copy(PlannedAction a, String from, String to) {
        String uid = a.pluginUniqueIdentifier();
        if (uid == null || !PluginIdentifier.isValid(uid)) {
            return "no valid plugin unique identifier";
        }
        if (!(from + uid).equals(a.key()) || !(to + uid).equals(a.targetKey())) {
            return "the copy must go from " + from + uid + " to " + to + uid;
        }
        return null;
    }
}
