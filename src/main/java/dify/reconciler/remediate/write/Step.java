package dify.reconciler.remediate.write;

import dify.reconciler.remediate.plan.RemedyAction;

/**
 * Every step boundary of a multi-step action, where {@link StepHook} lets a fault test halt or pause it. An enum, not
 * free text, so the list cannot drift from the code: each boundary passes its constant, and the tests' step table
 * ({@code StepCoverageTest}) must name every constant. Labels are {@code <action>:<step>}, the value of the test
 * properties {@code dify.reconciler.test.halt-at} and {@code pause-at}.
 */
public enum Step {
    /** A plain row action: the row locked and re-checked, nothing changed yet. */
    UPDATE_ROW_RECHECKED("update_row:rechecked"),
    QUARANTINE_ROW_RECHECKED("quarantine_row:rechecked"),
    /** A row-set remedy: its rows locked, quarantined and changed, not committed. */
    UPDATE_ROW_ROWS_CHANGED("update_row:rows-changed"),
    QUARANTINE_ROW_ROWS_CHANGED("quarantine_row:rows-changed"),
    /** A row-set remedy: no install in flight at the last look; the commit is next. */
    UPDATE_ROW_LAST_LOOKED("update_row:last-looked"),
    QUARANTINE_ROW_LAST_LOOKED("quarantine_row:last-looked"),
    /** {@code plugin_unreferenced}: its rows committed in quarantine, {@code plugin/U} not yet moved. */
    PLUGIN_UNREFERENCED_ROWS_QUARANTINED("plugin_unreferenced:rows-quarantined"),
    /** An object action: the rows' re-check committed, no lock held, nothing written yet. */
    QUARANTINE_OBJECT_ROWS_RECHECKED("quarantine_object:rows-rechecked"),
    COPY_OBJECT_ROWS_RECHECKED("copy_object:rows-rechecked"),
    /** A quarantine's intent recorded, the object not copied yet. */
    QUARANTINE_OBJECT_INTENT_RECORDED("quarantine_object:intent-recorded"),
    COPY_OBJECT_INTENT_RECORDED("copy_object:intent-recorded"),
    /** The object copied under the quarantine prefix and verified; the original still at its key. */
    QUARANTINE_OBJECT_QUARANTINE_COPIED("quarantine_object:quarantine-copied"),
    COPY_OBJECT_QUARANTINE_COPIED("copy_object:quarantine-copied"),
    /** The original deleted: its bytes only in quarantine. */
    QUARANTINE_OBJECT_ORIGINAL_DELETED("quarantine_object:original-deleted"),
    /** The daemon installed meanwhile: the moved bytes copied back to the key, the quarantine copy not yet deleted. */
    QUARANTINE_OBJECT_PUT_BACK("quarantine_object:put-back"),
    /** A copy's intent (the expected version) recorded, the target not written yet. */
    COPY_OBJECT_REPLACEMENT_INTENT_RECORDED("copy_object:replacement-intent-recorded"),
    /** The target written, its version not recorded yet. */
    COPY_OBJECT_TARGET_REPLACED("copy_object:target-replaced"),
    /** The written version recorded, the action not audited yet. */
    COPY_OBJECT_REPLACEMENT_RECORDED("copy_object:replacement-recorded"),
    /** A missing asset's re-creation: its intent recorded, nothing written yet. */
    COPY_OBJECT_ASSET_INTENT_RECORDED("copy_object:asset-intent-recorded"),
    /** The asset written from the verified package, its version not recorded yet. */
    COPY_OBJECT_ASSET_WRITTEN("copy_object:asset-written");

    private final String label;

    Step(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    /** A plain row action's re-check boundary. */
    public static Step rechecked(RemedyAction action) {
        return switch (action) {
            case UPDATE_ROW -> UPDATE_ROW_RECHECKED;
            case QUARANTINE_ROW -> QUARANTINE_ROW_RECHECKED;
            case QUARANTINE_OBJECT, COPY_OBJECT -> throw new IllegalArgumentException("not a row action: " + action.label());
        };
    }

    /** A row-set remedy's boundary after its rows changed. */
    public static Step rowsChanged(RemedyAction action) {
        return switch (action) {
            case UPDATE_ROW -> UPDATE_ROW_ROWS_CHANGED;
            case QUARANTINE_ROW -> QUARANTINE_ROW_ROWS_CHANGED;
            case QUARANTINE_OBJECT, COPY_OBJECT -> throw new IllegalArgumentException("not a row action: " + action.label());
        };
    }

    /** A row-set remedy's boundary after its last look. */
    public static Step lastLooked(RemedyAction action) {
        return switch (action) {
            case UPDATE_ROW -> UPDATE_ROW_LAST_LOOKED;
            case QUARANTINE_ROW -> QUARANTINE_ROW_LAST_LOOKED;
            case QUARANTINE_OBJECT, COPY_OBJECT -> throw new IllegalArgumentException("not a row action: " + action.label());
        };
    }

    /** An object action's boundary after the rows' re-check. */
    public static Step rowsRechecked(RemedyAction action) {
        return switch (action) {
            case QUARANTINE_OBJECT -> QUARANTINE_OBJECT_ROWS_RECHECKED;
            case COPY_OBJECT -> COPY_OBJECT_ROWS_RECHECKED;
            case UPDATE_ROW, QUARANTINE_ROW -> throw new IllegalArgumentException("not an object action: " + action.label());
        };
    }
}
