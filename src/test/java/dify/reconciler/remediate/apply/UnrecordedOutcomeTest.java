package dify.reconciler.remediate.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import org.junit.jupiter.api.Test;

/**
 * An action whose outcome could not be written (the database went away mid-apply) is reported failed, so the run
 * exits 1 and counts it, whatever the bucket holds; the detail keeps what was done and says why it is not recorded.
 */
class UnrecordedOutcomeTest {

    private static final ActionResult APPLIED = new ActionResult("a1", "package_orphaned", "quarantine_object", null,
            "plugin_packages/ghost", ActionOutcome.APPLIED, "moved to reconciler-quarantine/plugin_packages/ghost");

    @Test
    void anAppliedActionWhoseAuditIsMissingIsFailed() {
        ActionResult r = ObjectRemedyApplier.unrecorded(APPLIED, "its audit could not be written (connection refused)");
        assertEquals(ActionOutcome.FAILED, r.outcome());
        assertEquals(APPLIED.actionId(), r.actionId());
        assertEquals(APPLIED.rowId(), r.rowId());
        assertEquals("applied, but its audit could not be written (connection refused): not recorded"
                + " (moved to reconciler-quarantine/plugin_packages/ghost)", r.detail());
    }

    @Test
    void aWithheldActionWithoutDetailIsFailedToo() {
        ActionResult withheld = new ActionResult("a2", "endpoint_orphaned", "quarantine_row", "endpoints", "e1",
                ActionOutcome.WITHHELD, null);
        ActionResult r = ObjectRemedyApplier.unrecorded(withheld, "its audit could not be written (I/O error)");
        assertEquals(ActionOutcome.FAILED, r.outcome());
        assertTrue(r.detail().startsWith("withheld, but its audit could not be written"), r.detail());
    }
}
