package dify.reconciler.remediate;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.jboss.logging.Logger;

/**
 * Applies a plan's row actions, one item per transaction: lock and re-check the row ({@link RowRecheck}), put
 * the full old row in {@code quarantine_rows}, change it, audit it, commit, all in that one transaction (a
 * crash leaves either nothing or the change with its quarantine copy and audit row). Not armed, or not
 * allowed, it changes nothing and says what it would have done; the flag is read here, per action, last.
 */
public final class RowRemedyApplier {

    private static final Logger LOG = Logger.getLogger(RowRemedyApplier.class);

    private final DataSource dataSource;
    private final WriteTransactions tx;
    private final RowRecheck recheck;
    private final QuarantineRows quarantine;
    private final RowSetRemedies rowSets;
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
        this.recheck = new RowRecheck(tx);
        this.quarantine = new QuarantineRows(quarantineTable, clock);
        this.rowSets = new RowSetRemedies(tx, quarantine);
        this.audit = audit;
        this.listener = listener;
        this.committedRows = committedRows;
        this.installRace = new InstallRace(dataSource, tx, quarantineTable, audit, committedRows, clock);
    }

    /** Applies the plan's row actions (object actions are the {@link ObjectRemedyApplier}'s and are left out). */
    public List<ActionResult> apply(RemediationPlan plan, RemediationPolicy policy, String runId) {
        List<ActionResult> results = new ArrayList<>();
        for (PlannedAction a : plan.actions()) {
            if (a.action().onObject()) {
                continue;
            }
            ActionResult r = applyOne(plan, a, policy, runId);
            listener.outcome(a.kind().label(), a.action().label(), r.outcome());
            results.add(r);
        }
        return results;
    }

    private ActionResult applyOne(RemediationPlan plan, PlannedAction a, RemediationPolicy policy, String runId) {
        if (!policy.armed()) {
            LOG.infof("[DRY RUN] would %s %s row %s (%s): %s", a.action().label(), a.table(), a.rowId(), a.kind().label(), a.detail());
            return result(a, ActionOutcome.DRY_RUN, "not armed (reconciler.remediation.dry-run is not false): nothing changed");
        }
        if (!policy.mayApply(a.kind())) {
            String why = a.kind().label() + " is not listed in reconciler.remediation.kinds";
            return auditedOutside(plan, a, runId, ActionOutcome.WITHHELD, why);
        }
        try (Connection c = dataSource.getConnection()) {
            try {
                tx.begin(c);
                if (RowSetRemedies.handles(a.kind())) {
                    return applySet(c, plan, a, runId);
                }
                RowRecheck.Verdict v = recheck.check(c, a);
                if (v.skip() != null) {
                    c.rollback(); // releases the row lock before anything else
                    audit.record(c, plan.planId(), runId, a, null, null, ActionOutcome.SKIPPED_CHANGED, v.skip());
                    c.commit();
                    LOG.infof("remediation %s: skipped %s %s/%s: %s", a.id(), a.kind().label(), a.table(), a.rowId(), v.skip());
                    return result(a, ActionOutcome.SKIPPED_CHANGED, v.skip());
                }
                StepHook.reached(Step.rechecked(a.action())); // the row locked, nothing changed yet
                String before = v.before() == null ? null : "{\"refers\": " + v.before() + "}";
                String after = v.after() == null ? null : "{\"refers\": " + v.after() + "}";
                quarantine(c, a, v.rowJson(), after);
                change(c, a, v);
                String detail = after == null ? "row moved to quarantine" : "refers " + v.before() + " -> " + v.after();
                audit.record(c, plan.planId(), runId, a, before, after, ActionOutcome.APPLIED, detail);
                c.commit();
                LOG.infof("remediation %s: applied %s on %s/%s (%s): %s", a.id(), a.action().label(), a.table(), a.rowId(),
                        a.kind().label(), detail);
                notifyCommitted(committedRows, a.id(), a.action() == RemedyAction.UPDATE_ROW
                        ? new ChangedRow(a.table(), v.rowJson(), Set.of("refers"))
                        : ChangedRow.whole(a.table(), v.rowJson()));
                return result(a, ActionOutcome.APPLIED, detail);
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

    private void quarantine(Connection c, PlannedAction a, String rowJson, String setColumns) throws SQLException {
        quarantine.put(c, a.id(), a.action(), a.table(), a.rowId(), rowJson, setColumns);
    }

    private void change(Connection c, PlannedAction a, RowRecheck.Verdict v) throws SQLException {
        String target = tx.schema().qualified(a.table()) + " t WHERE " + tx.idPredicate(c, a.table());
        String sql = a.action() == RemedyAction.UPDATE_ROW
                // The absolute count, never refers ± 1 (section 9); only this column, so updated_at stays the daemon's.
                ? "UPDATE " + target.replace(" t WHERE ", " t SET refers = ? WHERE ")
                : "DELETE FROM " + target;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (a.action() == RemedyAction.UPDATE_ROW) {
                ps.setLong(i++, v.after());
            }
            ps.setString(i, a.rowId());
            int n = ps.executeUpdate();
            if (n != 1) {
                throw new IllegalStateException("expected to change 1 row of " + a.table() + ", changed " + n);
            }
        }
    }

    /** A remedy of {@link RowSetRemedies}: it locks, re-checks, quarantines and changes; this audits and commits. */
    private ActionResult applySet(Connection c, RemediationPlan plan, PlannedAction a, String runId) throws SQLException {
        RowSetRemedies.Done d = rowSets.apply(c, a);
        StepHook.reached(Step.rowsChanged(a.action())); // locked and changed, not committed
        String skip = d.skip() != null ? d.skip() : rowSets.lastLook(c, a);
        if (skip != null) {
            c.rollback(); // releases the row locks before anything else
            audit.record(c, plan.planId(), runId, a, null, null, ActionOutcome.SKIPPED_CHANGED, skip);
            c.commit();
            LOG.infof("remediation %s: skipped %s %s/%s: %s", a.id(), a.kind().label(), a.table(), a.rowId(), skip);
            return result(a, ActionOutcome.SKIPPED_CHANGED, skip);
        }
        StepHook.reached(Step.lastLooked(a.action())); // no install in flight at the last look; the commit is next
        audit.record(c, plan.planId(), runId, a, d.before(), d.after(), ActionOutcome.APPLIED, d.detail());
        c.commit();
        LOG.infof("remediation %s: applied %s on %s/%s (%s): %s", a.id(), a.action().label(), a.table(), a.rowId(),
                a.kind().label(), d.detail());
        notifyCommitted(committedRows, a.id(), d.changed());
        String lost = installRace.settle(plan, a, runId);
        if (lost != null) {
            return result(a, ActionOutcome.SKIPPED_CHANGED, lost);
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

    static String describe(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // 55P03 (lock_not_available) is both our lock_timeout running out and a NOWAIT lock refused at once.
        if (e instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
            return m.contains("lock timeout")
                    ? "the row stayed locked longer than our lock_timeout (the daemon is changing it?): " + m
                    : "the row is locked by another transaction (the daemon is changing it?); taken NOWAIT, so we gave up at"
                            + " once: " + m;
        }
        return m.lines().findFirst().orElse(m);
    }
}
