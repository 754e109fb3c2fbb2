package dify.reconciler.remediate;

import dify.reconciler.config.ProcessMode;
import dify.reconciler.config.ReconcilerConfig;
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
 * scan starts. The one-shot commands (mode {@code scan}) do their own planning and never come here.
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
        boolean leader = permission.mayAct();
        String note = null;
        if (!policy.armed()) {
            note = "dry run (reconciler.remediation.dry-run is not false): nothing applied";
        } else if (!leader) {
            note = "not the leader: the leader applies";
        } else if (remediation.whyNothingCanBeRecorded() != null) {
            note = "not applied: " + remediation.whyNothingCanBeRecorded();
        } else if (plan.actions().isEmpty()) {
            note = "nothing to do";
        }
        if (note != null) {
            if (!plan.actions().isEmpty()) {
                LOG.infof("remediation plan %s after scan %s: %d action(s), %d withheld; %s", plan.planId(), report.runId(),
                        plan.actions().size(), plan.withheldTotal(), note);
            }
            return new LatestPlan(plan, clock.instant(), policy.armed(), leader, false, note, List.of());
        }
        remediation.auditPlanned(plan);
        List<ActionResult> results = remediation.applyAll(plan, policy, report.runId());
        LOG.infof("remediation plan %s after scan %s: %d action(s) applied as %s", plan.planId(), report.runId(), results.size(),
                results.stream().map(r -> r.outcome().label()).toList());
        return new LatestPlan(plan, clock.instant(), true, true, true, null, results);
    }

    /** Hourly; purges at most once a day, and only as the leader of an armed service ({@link DailyPurge} decides). */
    @Scheduled(identity = "reconciler-quarantine-purge", every = "1h", delayed = "1m",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void dailyPurge() {
        if (role.oneShot()) {
            return;
        }
        try {
            Optional<List<QuarantinePurge.Result>> purged = daily().runIfDue(remediation.policy().armed(), permission.mayAct(),
                    remediation.whyNothingCanBeRecorded());
            purged.ifPresent(p -> LOG.infof("quarantine purge (retention %s): %s", config.remediation().retention(), p));
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
