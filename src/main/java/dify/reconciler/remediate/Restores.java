package dify.reconciler.remediate;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.SQLException;
import java.util.ArrayList;
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
    ActingPermission permission;

    @Inject
    QuarantineGauge gauge;

    /**
     * Why this process may not restore now, null when it may. Restore changes the daemon's tables, so it needs
     * the same as apply: armed, persisted state it can write, and (in the service) leadership.
     */
    public String refusal(RemediationPolicy policy) {
        if (!policy.armed()) {
            return "not armed (reconciler.remediation.dry-run is not false): restore changes the daemon's tables too";
        }
        String unrecorded = remediation.whyNothingCanBeRecorded();
        if (unrecorded != null) {
            return unrecorded + ": there is no quarantine to restore from";
        }
        if (!permission.mayAct()) {
            return "this instance may not act now (not the leader)";
        }
        return null;
    }

    /** The quarantined rows the selection names, not restored yet. */
    public List<ActionResult> pending(Selection s) throws SQLException {
        RowRestorer restorer = remediation.restorer();
        if (s.runId() == null) {
            return restorer.pending(s.actionId());
        }
        List<ActionResult> out = new ArrayList<>();
        for (String id : remediation.auditLog().appliedBy(s.runId())) {
            out.addAll(restorer.pending(id));
        }
        return out;
    }

    /** Restores what the selection names; the caller has checked {@link #refusal}. */
    public List<ActionResult> restore(Selection s) throws SQLException {
        RowRestorer restorer = remediation.restorer();
        String restoreRunId = UUID.randomUUID().toString();
        List<ActionResult> results = new ArrayList<>();
        try {
            if (s.runId() == null) {
                results.addAll(restorer.restore(s.actionId(), restoreRunId));
            } else {
                for (String id : remediation.auditLog().appliedBy(s.runId())) {
                    results.addAll(restorer.restore(id, restoreRunId));
                }
            }
        } finally {
            gauge.refresh();
        }
        return results;
    }
}
