package dify.reconciler.remediate;

import dify.reconciler.actor.ActingPermission;
import dify.reconciler.approval.ApprovalSettings;
import dify.reconciler.approval.OutsideWindow;
import dify.reconciler.approval.PlanApprovals;
import dify.reconciler.approval.PublishedPlan;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.apply.RowRemedyApplier;
import dify.reconciler.remediate.guard.Breaker;
import dify.reconciler.remediate.plan.RemediationPlan;
import dify.reconciler.remediate.plan.RemediationPolicy;
import dify.reconciler.remediate.record.ActionResult;
import dify.reconciler.report.ScanReport;
import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Remediation in the service. After each <em>successful</em> scan (never after a failed one) it plans; armed and
 * leading, it audits the plan and applies it, one item per transaction, each re-checked and fenced. Unarmed, or
 * not the leader, the plan is only kept: {@code GET /api/v1/plan} shows it as what would be done. The leader of
 * an armed service also purges the quarantine past the retention, once a day.
 *
 * <p>It runs in the scan's thread, inside the scan's one-at-a-time lock, so a plan is applied before the next
 * scan starts. Whether it may act is the {@link AccessGate}'s decision, taken once per tick; the gate's one permit
 * also keeps an apply, an API restore, the daily purge and recovery from running at once. The one-shot commands
 * (mode {@code scan}) do their own planning and never come here.
 */
@ApplicationScoped
public class ServiceRemediation {

    private static final Logger LOG = Logger.getLogger(ServiceRemediation.class);

    /**
     * The latest plan and what became of it.
     *
     * @param applied whether it was handed to the applier (armed and leading); {@code results} are then its outcomes
     * @param note why it was not applied, when it was not
     */
    public record LatestPlan(RemediationPlan plan, Instant at, boolean armed, boolean leader, boolean applied, String note,
            List<ActionResult> results) {
    }

    @Inject
    ReconcilerConfig config;

    @Inject
    ProcessMode role;

    @Inject
    RemediationService remediation;

    @Inject
    ActingPermission permission;

    @Inject
    AccessGate gate;

    @Inject
    QuarantinePurge purge;

    @Inject
    QuarantineGauge gauge;

    @Inject
    Clock clock;

    @Inject
    PlanApprovals approvals;

    private volatile LatestPlan latest;
    private volatile DailyPurge daily;

    public Optional<LatestPlan> latest() {
        return Optional.ofNullable(latest);
    }

    void afterScan(@Observes ScanReport report) {
        if (role.oneShot() || !report.succeeded()) {
            return; // one-shot commands plan themselves; nothing is planned from a failed scan
        }
        try {
            latest = planAndApply(report);
        } catch (Exception e) {
            LOG.errorf(e, "remediation after scan %s failed: %s", report.runId(), RowRemedyApplier.describe(e));
        } finally {
            gauge.refresh();
        }
    }

    LatestPlan planAndApply(ScanReport report) throws Exception {
        RemediationPolicy policy = remediation.policy();
        ApprovalSettings approval = ApprovalSettings.of(config.remediation());
        RemediationPlan plan = remediation.plan(report, policy);
        boolean inWindow = approval.windows().open(clock.instant());
        if (!inWindow) {
            plan = OutsideWindow.withhold(plan); // shown as what would be done, never applied or published
        }
        boolean leader = permission.mayAct(); // reported in the plan's view; the gate decides
        boolean armed = policy.armed(); // reported likewise
        Access access = gate.open(AccessGate.Work.APPLY, AccessGate.Caller.SERVICE);
        if (access instanceof Acting a && approval.required()) {
            try (a) {
                return underApproval(plan, a, report, approval, inWindow);
            }
        }
        if (access instanceof Acting a && plan.actions().isEmpty()) {
            a.close();
            access = null;
        }
        if (!(access instanceof Acting acting)) {
            String note;
            if (!inWindow) {
                note = "outside every change window (" + approval.windows().describe() + "): every action withheld";
            } else if (access == null) {
                note = "nothing to do";
            } else if (access instanceof Access.Refused r) {
                note = "not applied: " + r.message();
            } else {
                note = "dry run (reconciler.remediation.dry-run is not false): nothing applied";
            }
            if (!plan.actions().isEmpty()) {
                LOG.infof("remediation plan %s after scan %s: %d action(s), %d withheld; %s", plan.planId(), report.runId(),
                        plan.actions().size(), plan.withheldTotal(), note);
            }
            return new LatestPlan(plan, clock.instant(), armed, leader, false, note, List.of());
        }
        try (acting) {
            remediation.auditPlanned(plan);
            List<ActionResult> results = remediation.applyAll(plan, acting, report.runId());
            LOG.infof("remediation plan %s after scan %s: %d action(s) applied as %s", plan.planId(), report.runId(),
                    results.size(), results.stream().map(r -> r.outcome().label()).toList());
            return new LatestPlan(plan, clock.instant(), true, true, true, null, results);
        }
    }

    /**
     * Armed, leading and {@code approval=required}: an approved plan waiting is applied (its own actions, each
     * re-checked, audited with the approver), inside a change window and when this scan's guards passed; else this
     * scan's plan, when it has actions, is published for approval, replacing the pending one. An approved plan
     * waiting is never replaced: the plan applied next is the one someone approved.
     */
    private LatestPlan underApproval(RemediationPlan fresh, Acting acting, ScanReport report, ApprovalSettings approval,
            boolean inWindow) throws Exception {
        Optional<PublishedPlan> waiting = approvals.approvedWaiting();
        if (waiting.isPresent()) {
            PublishedPlan p = waiting.get();
            String waits = !inWindow
                    ? "outside every change window (" + approval.windows().describe() + ")"
                    : !fresh.guards().isEmpty() ? "this scan's guards stopped its plan" : null;
            if (waits != null) {
                return new LatestPlan(fresh, clock.instant(), true, true, false, "approved plan " + p.planId() + " waits: " + waits,
                        List.of());
            }
            RemediationPlan approved = p.plan().toPlan(remediation.layout());
            if (!approved.database().equals(remediation.database()) || !approvals.claim(p.planId())) {
                return new LatestPlan(fresh, clock.instant(), true, true, false, "approved plan " + p.planId()
                        + " was not applied: it was made for another database or bucket, expired or was applied meanwhile", List.of());
            }
            remediation.auditPlanned(approved, p.approvedBy());
            List<ActionResult> results = remediation.applyAll(approved, acting, report.runId(), p.approvedBy());
            LOG.infof("remediation plan %s approved by %s: %d action(s) applied as %s", p.planId(), p.approvedBy(), results.size(),
                    results.stream().map(r -> r.outcome().label()).toList());
            return new LatestPlan(approved, clock.instant(), true, true, true, "approved by " + p.approvedBy(), results);
        }
        if (fresh.actions().isEmpty()) {
            return new LatestPlan(fresh, clock.instant(), true, true, false, inWindow
                    ? "nothing to do"
                    : "outside every change window (" + approval.windows().describe() + "): every action withheld", List.of());
        }
        PublishedPlan p = approvals.publish(fresh, approval.ttl(), Breaker.instance());
        return new LatestPlan(fresh, clock.instant(), true, true, false, "awaits approval until " + p.expiresAt()
                + ": POST /api/v1/plans/" + p.planId() + "/approve", List.of());
    }

    /** Hourly; purges at most once a day ({@link DailyPurge}), only when the gate lets this tick act. */
    @Scheduled(identity = "reconciler-quarantine-purge", every = "1h", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void dailyPurge() {
        if (role.oneShot()) {
            return;
        }
        try {
            Access access = gate.open(AccessGate.Work.PURGE, AccessGate.Caller.SERVICE);
            try {
                Optional<List<QuarantinePurge.Result>> purged = daily().runIfDue(access);
                purged.ifPresent(p -> LOG.infof("quarantine purge (retention %s): %s", config.remediation().retention(), p));
            } finally {
                if (access instanceof Acting acting) {
                    acting.close();
                }
            }
        } catch (Exception e) {
            LOG.errorf(e, "quarantine purge failed: %s", RowRemedyApplier.describe(e));
        } finally {
            gauge.refresh();
        }
    }

    private DailyPurge daily() {
        DailyPurge d = daily;
        if (d == null) {
            synchronized (this) {
                if (daily == null) {
                    daily = new DailyPurge(clock, purge::purge);
                }
                d = daily;
            }
        }
        return d;
    }
}
