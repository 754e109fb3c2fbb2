package dify.reconciler.remediate;

import java.util.Locale;

/** What an action does to its row. Object remedies ({@code quarantine_object}, {@code copy_object}) are not built yet. */
public enum RemedyAction {
    /** Set one column to a recomputed value (today: {@code plugins.refers} to the installation count). */
    UPDATE_ROW,
    /** Move the whole row to our quarantine table and delete it from the daemon's table. */
    QUARANTINE_ROW;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
