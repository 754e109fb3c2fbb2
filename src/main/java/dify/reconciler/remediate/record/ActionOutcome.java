package dify.reconciler.remediate.record;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What became of an action (audit column {@code outcome}, metric tag {@code outcome}). */
public enum ActionOutcome {
    /** Written by {@code plan}: the action is in a plan. */
    PLANNED,
    APPLIED,
    /** The re-check inside the action's transaction found the condition gone or the row changed: not forced. */
    SKIPPED_CHANGED,
    FAILED,
    /** Not armed: what would have been done, nothing written. */
    DRY_RUN,
    /** Armed, but the kind is no longer listed in {@code reconciler.remediation.kinds}. */
    WITHHELD,
    RESTORED,
    /** Restore found something else where the row was, or a changed value: left alone and reported. */
    RESTORE_REFUSED,
    /** The quarantined copy was deleted after {@code reconciler.remediation.retention}: the action can no longer be undone. */
    PURGED;

    /** Also its JSON form (apply --output, the API): the audit's spelling, not the enum constant. */
    @JsonValue
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
