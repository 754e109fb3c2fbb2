package dify.reconciler.remediate.plan;

import java.util.Locale;

/** What an action does to its row or object. */
public enum RemedyAction {
    /** Set one column to a recomputed value (today: {@code plugins.refers} to the installation count). */
    UPDATE_ROW,
    /** Move the whole row to our quarantine table and delete it from the daemon's table. */
    QUARANTINE_ROW,
    /** Copy the object under the quarantine prefix, then delete it (both version-checked). */
    QUARANTINE_OBJECT,
    /** Copy {@code key} to {@code targetKey}, quarantining a replaced target's old bytes first. */
    COPY_OBJECT;

    /** Whether the action is about an object (key) rather than a row. */
    public boolean onObject() {
        return this == QUARANTINE_OBJECT || this == COPY_OBJECT;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
