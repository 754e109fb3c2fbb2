package dify.reconciler.remediate;

import dify.reconciler.actor.ActingPermission;
import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
import dify.reconciler.remediate.acting.Access;
import dify.reconciler.remediate.acting.AccessGate;
import dify.reconciler.remediate.acting.Acting;
import dify.reconciler.remediate.apply.RowRemedyApplier;
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
        RemediationPlan plan = remediation.plan(report, policy);
        boolean leader = permission.mayAct(); // reported in the plan's view; the gate decides
        boolean armed = policy.armed(); // reported likewise
        Access access = gate.open(AccessGate.Work.APPLY, AccessGate.Caller.SERVICE);
        if (access instanceof Acting a && plan.actions().isEmpty()) {
            a.close();
            access = null;
        }
        if (!(access instanceof Acting acting)) {
            String note;
            if (access == null) {
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
