package dify.reconciler.remediate;

import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.apply.RowRestorer;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.ObjectQuarantine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

/**
 * Restore by selection, for the {@code restore} command and the API: one action, every action one run applied
 * (newest first), or everything not restored yet.
 */
@ApplicationScoped
public class Restores {

    /** One action ({@code actionId}), one run's applied actions ({@code runId}), or everything (both null). */
    public record Selection(String actionId, String runId) {

        public static Selection action(String id) {
            return new Selection(id, null);
        }

        public static Selection run(String id) {
            return new Selection(null, id);
        }

        public static Selection all() {
            return new Selection(null, null);
        }
    }

    @Inject
    RemediationService remediation;

    @Inject
    QuarantineGauge gauge;

    /** The quarantined objects and rows the selection names, not restored yet. */
    public List<ActionResult> pending(Selection s) throws SQLException {
        RowRestorer restorer = remediation.restorer();
        ObjectQuarantine objects = remediation.objectQuarantine();
        List<ActionResult> out = new ArrayList<>();
        for (String id : actionIds(s)) {
            out.addAll(objects.pending(id));
            out.addAll(restorer.pending(id));
        }
        return out;
    }

    /**
     * Restores what the selection names, with the {@link AccessGate}'s token (restore changes the daemon's tables
     * and bucket too, so it needs what apply needs). Per action, objects first, then rows: an action's object step
     * came after its row step, so it is undone first.
     */
    public List<ActionResult> restore(Selection s, Acting acting) throws SQLException {
        RowRestorer restorer = remediation.restorer();
        ObjectQuarantine objects = remediation.objectQuarantine();
        String restoreRunId = UUID.randomUUID().toString();
        List<ActionResult> results = new ArrayList<>();
        try {
            for (String id : actionIds(s)) {
                results.addAll(objects.restore(id, restoreRunId));
                results.addAll(restorer.restore(id, restoreRunId));
            }
        } finally {
            gauge.refresh();
        }
        return results;
    }

    /** One action, a run's applied actions (newest first), or a single null meaning "everything not restored". */
    private List<String> actionIds(Selection s) throws SQLException {
        if (s.runId() == null) {
            return Collections.singletonList(s.actionId());
        }
        return remediation.auditLog().appliedBy(s.runId());
    }
}
