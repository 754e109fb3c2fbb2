package dify.reconciler.remediate.apply;

import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.plan.PlannedAction;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.planner.Remedies;
import dify.reconciler.remediate.record.ActionListener;
import dify.reconciler.remediate.record.ActionOutcome;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.remediate.record.AppliedRowsListener;
import dify.reconciler.remediate.record.ChangedRow;
import dify.reconciler.remediate.record.QuarantineRows;
import dify.reconciler.remediate.record.RemediationAudit;
import dify.reconciler.remediate.rows.RowChanges;
import dify.reconciler.remediate.rows.RowRemedy;
import dify.reconciler.remediate.write.WriteTransactions;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Applies a plan's row actions, one item per transaction: the kind's {@link RowRemedy} locks and re-checks its rows,
 * puts each full old row in {@code quarantine_rows} and changes it; this audits and commits, all in that one
 * transaction (a crash leaves either nothing or the change with its quarantine copy and audit row). It acts only with
 * the {@link AccessGate}'s {@link Acting} token, and only on kinds the token allows; a dry run is {@link #dryRun}.
 */
public final class RowRemedyApplier {

    private static final Logger LOG = Logger.getLogger(RowRemedyApplier.class);

    private final DataSource dataSource;
    private final WriteTransactions tx;
    private final QuarantineRows quarantine;
    private final RemediationAudit audit;
    private final ActionListener listener;
    private final AppliedRowsListener committedRows;
    private final InstallRace installRace;

    /** @param quarantineTable our {@code quarantine_rows}, schema-qualified */
    public RowRemedyApplier(DataSource dataSource, WriteTransactions tx, String quarantineTable, RemediationAudit audit,
            ActionListener listener, Clock clock) {
        this(dataSource, tx, quarantineTable, audit, listener, AppliedRowsListener.NONE, clock);
    }

    /** @param committedRows told each applied action's changed rows after its commit (the daemon's cache is cleared there) */
    public RowRemedyApplier(DataSource dataSource, WriteTransactions tx, String quarantineTable, RemediationAudit audit,
            ActionListener listener, AppliedRowsListener committedRows, Clock clock) {
        this.dataSource = dataSource;
        this.tx = tx;
        this.quarantine = new QuarantineRows(quarantineTable, clock);
        this.audit = audit;
        this.listener = listener;
        this.committedRows = committedRows;
        this.installRace = new InstallRace(dataSource, tx, quarantineTable, audit, committedRows, clock);
    }

    /** Applies the plan's row actions (object actions are the {@link ObjectRemedyApplier}'s and are left out). */
    public List<ActionResult> apply(RemediationPlan plan, Acting acting, String runId) {
        List<ActionResult> results = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (a.action().onObject()) {
                continue;
            }
            ActionResult r = applyOne(plan, a, acting, runId);
            listener.outcome(a.kind().label(), a.action().label(), r.outcome());
            results.add(r);
        }
        return results;
    }

    /** What {@link #apply} would do, unarmed: each row action reported {@code dry_run}, nothing read or written. */
    public static List<ActionResult> dryRun(RemediationPlan plan, ActionListener listener) {
        List<ActionResult> results = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (a.action().onObject()) {
                continue;
            }
            LOG.infof("[DRY RUN] would %s %s row %s (%s): %s", a.action().label(), a.table(), a.rowId(), a.kind().label(), a.detail());
            ActionResult r = result(a, ActionOutcome.DRY_RUN, NOT_ARMED);
            listener.outcome(a.kind().label(), a.action().label(), r.outcome());
            results.add(r);
        }
        return results;
    }

    static final String NOT_ARMED = "not armed (reconciler.remediation.dry-run is not false): nothing changed";

    private ActionResult applyOne(RemediationPlan plan, PlannedAction a, Acting acting, String runId) {
        if (!acting.allows(a.kind())) {
            String why = a.kind().label() + " is not listed in reconciler.remediation.kinds";
            return auditedOutside(plan, a, runId, ActionOutcome.WITHHELD, why);
        }
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                return applyRemedy(c, plan, a, runId);
            } catch (SQLException | RuntimeException e) {
                WriteTransactions.rollbackQuietly(c, e);
                LOG.errorf(e, "remediation %s: %s on %s/%s failed", a.id(), a.action().label(), a.table(), a.rowId());
                return auditedOutside(plan, a, runId, ActionOutcome.FAILED, describe(e));
            }
        } catch (SQLException e) {
            LOG.errorf(e, "remediation %s: no connection", a.id());
            return result(a, ActionOutcome.FAILED, describe(e));
        }
    }

    /** The kind's remedy locks, re-checks, quarantines and changes; this audits and commits. */
    private ActionResult applyRemedy(Connection c, RemediationPlan plan, PlannedAction a, String runId) throws SQLException {
        RowRemedy remedy = Remedies.rows(a);
        String refused = remedy.refusal(a, null);
        if (refused != null) {
            throw new IllegalArgumentException(refused);
        }
        RowChanges changes = new RowChanges(tx, quarantine, a.id());
        RowRemedy.Done d = remedy.change(c, a, changes);
        String skip = d.skip() != null ? d.skip() : remedy.lastLook(c, a, changes);
        if (skip != null) {
            c.rollback(); // releases the row locks before anything else
            audit.record(c, plan.planId(), runId, a, null, null, ActionOutcome.SKIPPED_CHANGED, skip);
            c.commit();
            LOG.infof("remediation %s: skipped %s %s/%s: %s", a.id(), a.kind().label(), a.table(), a.rowId(), skip);
            return result(a, ActionOutcome.SKIPPED_CHANGED, skip);
        }
        audit.record(c, plan.planId(), runId, a, d.before(), d.after(), ActionOutcome.APPLIED, d.detail());
        c.commit();
        LOG.infof("remediation %s: applied %s on %s/%s (%s): %s", a.id(), a.action().label(), a.table(), a.rowId(),
                a.kind().label(), d.detail());
        notifyCommitted(committedRows, a.id(), d.changed());
        if (remedy.racesInstalls()) {
            String lost = installRace.settle(plan, a, runId);
            if (lost != null) {
                return result(a, ActionOutcome.SKIPPED_CHANGED, lost);
            }
        }
        return result(a, ActionOutcome.APPLIED, d.detail());
    }

    /** Audits an outcome in its own short transaction (nothing of the daemon's is touched). */
    private ActionResult auditedOutside(RemediationPlan plan, PlannedAction a, String runId, ActionOutcome outcome, String why) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            audit.record(c, plan.planId(), runId, a, null, null, outcome, why);
        } catch (SQLException e) {
            LOG.errorf(e, "remediation %s: could not audit outcome %s", a.id(), outcome.label());
            // Not recorded: the run must not look successful (nothing of the daemon's was changed here).
            return ObjectRemedyApplier.unrecorded(result(a, outcome, why), "its audit could not be written (" + describe(e) + ")");
        }
        return result(a, outcome, why);
    }

    private static ActionResult result(PlannedAction a, ActionOutcome outcome, String detail) {
        return new ActionResult(a.id(), a.kind().label(), a.action().label(), a.table(), a.rowId(), outcome, detail);
    }

    /** After the commit: whatever the listener does (or throws) cannot turn an applied action into a failed one. */
    static void notifyCommitted(AppliedRowsListener listener, String actionId, ChangedRow row) {
        notifyCommitted(listener, actionId, List.of(row));
    }

    /** The same for every row one action changed (or restored) in its one transaction. */
    static void notifyCommitted(AppliedRowsListener listener, String actionId, List<ChangedRow> rows) {
        try {
            listener.committed(actionId, rows);
        } catch (RuntimeException e) {
            LOG.errorf(e, "remediation %s: the post-commit listener failed (the change stays applied)", actionId);
        }
    }

    public static String describe(Throwable e) {
        return WriteTransactions.describe(e);
    }
}
